"""Customer import on SQLite and PostgreSQL: messy files end to end, duplicates inside the file and
against the database (same owner merged, another owner flagged), dry runs, batches, GB18030 and
XLSX input, the audit entry, and the rule that every input row is accounted for exactly once."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from crm_support import Crm
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.audit import audit_entries
from crm_core.customer_import import AUDIT_ACTION, CustomerImporter, ImportOptions, ImportSummary
from crm_core.customer_models import Customer, CustomerPhone, TimelineEntry
from crm_core.customer_rules import CustomerDraft
from crm_core.customer_search import CustomerQuery
from crm_core.users import Role

pytestmark = pytest.mark.integration

HEADER = "客户名称,手机,电话,邮箱,负责人,标签,备注,行业"
# Row numbers as a spreadsheet shows them (header = row 1); comments say what each row tests.
MESSY = "\r\n".join(
    [
        HEADER,
        "北京甲科技有限公司,138 0013 8000,010-12345678,a@jia.cn,alice,VIP,首次,IT",  # 2 new
        '"乙公司, 上海",13900139000,,b@yi.cn,bob,"经销商，华东","两行\n备注",',  # 3 new
        ",,,,,,,",  # 4 blank
        "",  # 5 blank
        "丙,12ab,,,alice,,,",  # 6 bad phone
        "丁,13700137000,,bad@,alice,,,",  # 7 bad email
        "戊,13600136000,,,nobody,,,",  # 8 unknown owner
        "甲科技分部,,13800138000,new@jia.cn,alice,新,,",  # 9 merged into 2 (same owner)
        "甲科技仓库,+86 138-0013-8000,,,,,,",  # 10 merged into 2 (no owner given)
        "甲科技别名,,13800138000,,bob,,,",  # 11 flagged: 2 is alice's
        ",13500135000,,,alice,,,",  # 12 no name
        '"己公司\n（新）",13400134000,,c@ji.cn,,,,',  # 13 new, default owner
        "乙公司、上海,13300133000,,,bob,,,",  # 14 flagged: name only like 3
        "庚,13200132000,,B@YI.CN,bob,,,",  # 15 merged into 3 (email, any case)
    ]
)
EXPECTED = {"rows": 14, "imported": 3, "merged": 3, "flagged": 2, "rejected": 6}
NOT_IMPORTED = {4: "rejected", 5: "rejected", 6: "rejected", 7: "rejected", 8: "rejected",
                11: "flagged", 12: "rejected", 14: "flagged"}  # fmt: skip


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    crm = Crm(db_sessions)
    for name in ("alice", "bob", "carol"):
        crm.user(name)
    crm.user("root", Role.ADMIN)
    return crm


def importer(crm: Crm) -> CustomerImporter:
    return CustomerImporter(crm.sessions, crm.clock)


def options(crm: Crm, tmp_path: Path, **changes: object) -> ImportOptions:
    values: dict[str, object] = {
        "default_owner_id": crm.people["carol"].id,
        "actor_user_id": crm.people["root"].id,
        "rejects_path": tmp_path / "rejects.csv",
    }
    values.update(changes)
    return ImportOptions(**values)  # type: ignore[arg-type]


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8-sig", name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def reject_column(path: Path, column: str) -> dict[int, str]:
    return {int(r["import_row"]): r[column] for r in read_rejects(path)}


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def counts(summary: ImportSummary) -> dict[str, int]:
    return {k: getattr(summary, k) for k in ("rows", "imported", "merged", "flagged", "rejected")}


def stored_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def find(crm: Crm, **query: str) -> list[int]:
    page = crm.customers.search(crm.people["root"], CustomerQuery(**query))
    return [c.id for c in page.items]


def test_given_messy_file_when_imported_then_every_row_is_counted_once_and_rejects_explain(
    crm: Crm, tmp_path: Path
) -> None:
    summary = importer(crm).run(write_csv(tmp_path, MESSY), options(crm, tmp_path))
    assert counts(summary) == EXPECTED
    assert summary.imported + summary.merged + summary.flagged + summary.rejected == summary.rows
    rejects = read_rejects(tmp_path / "rejects.csv")
    assert {int(r["import_row"]): r["import_outcome"] for r in rejects} == NOT_IMPORTED
    reasons = {int(r["import_row"]): r["import_reason"] for r in rejects}
    assert reasons[4] == reasons[5] == "blank row"
    assert reasons[6].startswith("phone '12ab': not a phone number")
    assert reasons[7] == "email 'bad@' is not an email address"
    assert reasons[8].startswith("owner 'nobody' is not a Hotline user")
    assert reasons[11] == (
        "duplicate of the customer of row 2 of this file, owned by alice (same phone); "
        "the row names bob"
    )
    assert reasons[12] == "no customer name"
    assert reasons[14].startswith("same name as the customer of row 3 of this file")
    assert rejects[0]["客户名称"] == ""  # original cells follow, in the file's own columns
    assert next(r for r in rejects if r["import_row"] == "11")["客户名称"] == "甲科技别名"
    assert summary.custom_fields == ["行业"]
    assert stored_count(crm.sessions) == 3


def test_given_messy_file_when_imported_then_customers_hold_merged_phones_emails_and_tags(
    crm: Crm, tmp_path: Path
) -> None:
    importer(crm).run(write_csv(tmp_path, MESSY), options(crm, tmp_path))
    root = crm.people["root"]
    (jia,) = find(crm, phone="13800138000")
    detail = crm.customers.get(root, jia)
    assert detail.summary.name == "北京甲科技有限公司"
    assert detail.summary.owner_name == "alice"
    assert sorted(p.e164 for p in detail.phones) == ["+861012345678", "+8613800138000"]
    assert sorted(e.email for e in detail.emails) == ["a@jia.cn", "new@jia.cn"]
    assert detail.summary.tags == ("vip", "新")
    assert detail.custom_fields == {"行业": "IT"}
    (yi,) = find(crm, email="b@yi.cn")
    yi_detail = crm.customers.get(root, yi)
    assert yi_detail.summary.name == "乙公司, 上海"
    assert sorted(p.e164 for p in yi_detail.phones) == ["+8613200132000", "+8613900139000"]
    assert yi_detail.summary.tags == ("华东", "经销商")
    (ji,) = find(crm, phone="13400134000")
    assert crm.customers.get(root, ji).summary.owner_name == "carol"  # the default owner
    with crm.sessions() as session:
        texts = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.customer_id == yi)
        ).all()
    assert "两行\n备注" in texts


def test_given_customers_in_database_when_imported_then_same_owner_merged_other_flagged(
    crm: Crm, tmp_path: Path
) -> None:
    alice = crm.people["alice"]
    existing = crm.customers.create(
        alice, CustomerDraft(name="Acme", phones=("13800138000",), emails=("info@acme.cn",))
    )
    text = "\r\n".join(
        [
            "name,phone,email,owner",
            "Acme Branch,13800138000,branch@acme.cn,alice",  # 2 merged (same owner)
            "Acme Again,,INFO@acme.cn,",  # 3 merged (no owner given)
            "Acme Stolen,+86 138 0013 8000,,bob",  # 4 flagged (alice owns it)
            "acme,13900139000,,alice",  # 5 flagged: the name alone matches
        ]
    )
    summary = importer(crm).run(write_csv(tmp_path, text), options(crm, tmp_path))
    assert counts(summary) == {"rows": 4, "imported": 0, "merged": 2, "flagged": 2, "rejected": 0}
    reasons = {
        int(r["import_row"]): r["import_reason"] for r in read_rejects(tmp_path / "rejects.csv")
    }
    assert reasons == {
        4: f"duplicate of customer #{existing.id} owned by alice (same phone); the row names bob",
        5: f"same name as customer #{existing.id} owned by alice, but no phone or email in common",
    }
    detail = crm.customers.get(alice, existing.id)
    assert sorted(e.email for e in detail.emails) == ["branch@acme.cn", "info@acme.cn"]
    assert [p.e164 for p in detail.phones] == ["+8613800138000"]  # not added twice
    assert detail.summary.owner_name == "alice"


def test_given_dry_run_when_imported_then_same_summary_and_rejects_but_nothing_stored(
    crm: Crm, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, MESSY)
    dry = importer(crm).run(path, options(crm, tmp_path, dry_run=True))
    dry_rejects = read_rejects(tmp_path / "rejects.csv")
    assert stored_count(crm.sessions) == 0
    with crm.sessions() as session:
        assert audit_entries(session, AUDIT_ACTION) == []
    real = importer(crm).run(path, options(crm, tmp_path))
    assert dry.dry_run
    assert counts(dry) == counts(real) == EXPECTED
    assert dry_rejects == read_rejects(tmp_path / "rejects.csv")


@pytest.mark.parametrize("dry_run", [False, True])
def test_given_tiny_batches_when_imported_then_duplicates_across_batches_are_found(
    crm: Crm, tmp_path: Path, dry_run: bool
) -> None:
    summary = importer(crm).run(
        write_csv(tmp_path, MESSY), options(crm, tmp_path, batch_size=2, dry_run=dry_run)
    )
    assert counts(summary) == EXPECTED
    outcomes = {
        int(r["import_row"]): r["import_outcome"] for r in read_rejects(tmp_path / "rejects.csv")
    }
    assert outcomes == NOT_IMPORTED
    assert stored_count(crm.sessions) == (0 if dry_run else 3)


def test_given_same_file_twice_when_imported_then_second_time_everything_merges(
    crm: Crm, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, MESSY)
    importer(crm).run(path, options(crm, tmp_path))
    again = importer(crm).run(path, options(crm, tmp_path))
    assert again.imported == 0
    assert again.merged == EXPECTED["imported"] + EXPECTED["merged"]
    assert stored_count(crm.sessions) == 3
    with crm.sessions() as session:
        phones = session.scalar(select(func.count()).select_from(CustomerPhone))
    assert phones == 5  # 2 of 甲, 2 of 乙, 1 of 己: nothing doubled


def test_given_no_default_owner_when_imported_then_ownerless_new_rows_are_rejected(
    crm: Crm, tmp_path: Path
) -> None:
    text = "name,phone,owner\r\nA,13800138000,\r\nB,13900139000,bob\r\n"
    summary = importer(crm).run(
        write_csv(tmp_path, text), options(crm, tmp_path, default_owner_id=None)
    )
    assert (summary.imported, summary.rejected) == (1, 1)
    (reject,) = read_rejects(tmp_path / "rejects.csv")
    assert reject["import_row"] == "2"
    assert reject["import_reason"].startswith("no owner")


def test_given_gb18030_file_when_imported_then_chinese_is_stored_right(
    crm: Crm, tmp_path: Path
) -> None:
    text = "客户名称,电话,城市\r\n广州乙贸易有限公司,020-87654321,广州\r\n"
    summary = importer(crm).run(write_csv(tmp_path, text, "gb18030"), options(crm, tmp_path))
    assert summary.encoding == "gb18030"
    (found,) = find(crm, phone="02087654321")
    detail = crm.customers.get(crm.people["root"], found).summary
    assert (detail.name, detail.city, detail.kind.value) == (
        "广州乙贸易有限公司",
        "广州",
        "company",
    )


def test_given_xlsx_when_imported_then_numbers_and_blank_rows_are_handled(
    crm: Crm, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["公司", "手机", "VIP", "负责人"])
    sheet.append(["甲公司", 13800138000, 2, "alice"])
    sheet.append([None, None, None, None])
    sheet.append(["乙公司", "bad", 1, "bob"])
    path = tmp_path / "in.xlsx"
    book.save(path)
    summary = importer(crm).run(path, options(crm, tmp_path))
    assert counts(summary) == {"rows": 3, "imported": 1, "merged": 0, "flagged": 0, "rejected": 2}
    rows = {
        int(r["import_row"]): r["import_reason"] for r in read_rejects(tmp_path / "rejects.csv")
    }
    assert rows[3] == "blank row"
    assert rows[4].startswith("phone 'bad'")
    (found,) = find(crm, phone="+8613800138000")
    assert crm.customers.get(crm.people["root"], found).summary.vip_level == 2


def test_when_imported_then_one_audit_entry_holds_the_summary(crm: Crm, tmp_path: Path) -> None:
    summary = importer(crm).run(write_csv(tmp_path, MESSY), options(crm, tmp_path))
    with crm.sessions() as session:
        (entry,) = audit_entries(session, AUDIT_ACTION)
    assert entry.actor_user_id == crm.people["root"].id
    assert entry.data["rows"] == summary.rows
    assert entry.data["imported"] == summary.imported
    assert entry.data["file"] == summary.file


def test_given_rejects_path_is_the_input_when_imported_then_refused(
    crm: Crm, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, MESSY)
    with pytest.raises(ValueError, match="would overwrite the input"):
        importer(crm).run(path, options(crm, tmp_path, rejects_path=path))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + HEADER.encode())


def random_messy_file(path: Path, rows: int, seed: int) -> None:
    """Rows of every kind, mixed at random: good, blank, bad phone/email, duplicates."""
    rng = random.Random(seed)
    owners = ["alice", "bob", "", "nobody"]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "phone", "email", "owner", "notes"])
        for i in range(rows):
            kind = rng.random()
            phone = f"139{rng.randrange(60):08d}"  # few numbers: many duplicates
            if kind < 0.1:
                writer.writerow([])
            elif kind < 0.2:
                writer.writerow([f"c{i}", f"{phone}x!", "", "alice", ""])
            elif kind < 0.3:
                writer.writerow([f"c{i}", phone, "no-at", "bob", ""])
            else:
                email = f"m{rng.randrange(40)}@x.cn" if rng.random() < 0.5 else ""
                writer.writerow([f"c{i}, ltd", phone, email, rng.choice(owners), "a\nb"])


@pytest.mark.parametrize("batch_size", [7, 5000])
def test_given_random_messy_file_then_rejects_file_accounts_for_every_row_not_stored(
    crm: Crm, tmp_path: Path, batch_size: int
) -> None:
    path = tmp_path / "random.csv"
    random_messy_file(path, 300, seed=batch_size)
    summary = importer(crm).run(path, options(crm, tmp_path, batch_size=batch_size))
    assert summary.rows == 300
    assert summary.imported + summary.merged + summary.flagged + summary.rejected == 300
    listed = [int(r["import_row"]) for r in read_rejects(tmp_path / "rejects.csv")]
    assert len(listed) == len(set(listed)) == summary.flagged + summary.rejected
    assert set(listed) <= set(range(2, 302))
    assert listed == sorted(listed)
    assert stored_count(crm.sessions) == summary.imported
    assert min(summary.imported, summary.merged, summary.flagged, summary.rejected) > 0


def test_given_worker_processes_when_imported_then_same_outcome_as_in_process(
    crm: Crm, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, MESSY)
    dry = importer(crm).run(path, options(crm, tmp_path, dry_run=True, workers=0))
    in_process = read_rejects(tmp_path / "rejects.csv")
    real = importer(crm).run(path, options(crm, tmp_path, batch_size=3, workers=2))
    assert counts(real) == counts(dry) == EXPECTED
    outcomes = [
        (r["import_row"], r["import_outcome"]) for r in read_rejects(tmp_path / "rejects.csv")
    ]
    assert outcomes == [(r["import_row"], r["import_outcome"]) for r in in_process]


def test_given_imported_customers_when_one_is_created_by_hand_then_ids_do_not_collide(
    crm: Crm, tmp_path: Path
) -> None:
    importer(crm).run(write_csv(tmp_path, MESSY), options(crm, tmp_path))
    made = crm.customers.create(
        crm.people["bob"], CustomerDraft(name="Later", phones=("13100131000",))
    )
    with crm.sessions() as session:
        ids = session.scalars(select(Customer.id).order_by(Customer.id)).all()
    assert len(ids) == 4
    assert made.id == max(ids)


def test_when_imported_then_progress_is_reported_after_each_batch(crm: Crm, tmp_path: Path) -> None:
    seen: list[tuple[int, float | None]] = []
    importer(crm).run(
        write_csv(tmp_path, MESSY),
        options(crm, tmp_path, batch_size=5),
        lambda rows, fraction: seen.append((rows, fraction)),
    )
    assert [rows for rows, _ in seen] == [5, 10, 14]
    assert seen[-1][1] == 1.0
