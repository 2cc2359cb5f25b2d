"""Every table of Hotline, registered on one `Base.metadata`.

Importing a model module is what adds its tables to `Base.metadata`. Code that needs the complete
schema (Alembic's environment, the schema test, `create_all` in tools) imports `metadata` from
here, never `crm_core.models.Base.metadata` directly. Rule: a new model module is imported here
in the same change that adds its migration.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from crm_core import customer_models, models, service_models

MODEL_MODULES = (models, customer_models, service_models)

metadata: MetaData = models.Base.metadata
