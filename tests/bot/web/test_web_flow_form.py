"""The flow editor's form (/admin/flows/{id}/form, /admin/flows/new) over real HTTP on both databases:
every shipped flow round-trips through the form byte for byte; a form edit saves the YAML the YAML
view then shows; problems come in Vietnamese and English with their place; new flows; CSRF."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from live import run_async, serve_app
from sqlalchemy import select
from staffkit import USERS, seed_staff, signed_in
from surveykit import Client

from bot.conversation.flows import shipped_source
from storage import FlowVersion, open_database
from survey_flows import shipped_flows

QUICK = shipped_source("quick") or ""


class _FormFields(HTMLParser):
    """The (name, value) pairs a browser would post for one form of a page, as rendered."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._area: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._area, self._text = a.get("name"), ""

    def handle_data(self, data: str) -> None:
        if self._area is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, on in self._options if on] or [v for v, _ in self._options[:1]]
            self.fields += [(self._select, v) for v in chosen[-1:]]
            self._select = None
        elif tag == "textarea" and self._area is not None:
            text = self._text[1:] if self._text.startswith("\n") else self._text  # as HTML drops it
            self.fields.append((self._area, text))
            self._area = None


def form_fields(page: str, form_id: str = "flow-form") -> list[tuple[str, str]]:
    parser = _FormFields(form_id)
    parser.feed(page)
    assert parser.fields, f"no form #{form_id}"
    return parser.fields


def changed(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The fields with some values replaced (keys with '__' for '.'); a key not there is added."""
    wanted = {k.replace("__", "."): v for k, v in values.items()}
    out = [(k, wanted.pop(k) if k in wanted else v) for k, v in fields]
    return out + list(wanted.items())


def textarea(page: str, element_id: str) -> str:
    body = page.split(f'id="{element_id}"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    return unescape(body)


def stored(url: str) -> list[tuple[str, int, str]]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            rows = await s.execute(select(FlowVersion.flow_id, FlowVersion.revision, FlowVersion.source)
                                   .order_by(FlowVersion.id))
            return [tuple(r) for r in rows]
    return run_async(run())


def test_every_shipped_flow_opened_in_the_form_and_saved_unchanged_is_the_same_yaml(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        for flow_id in shipped_flows():
            source = shipped_source(flow_id)
            status, page = admin.get(f"/admin/flows/{flow_id}/form")
            assert status == 200, flow_id
            fields = form_fields(page)
            # Opened in the YAML view: the very same text, byte for byte.
            status, page = admin.post(f"/admin/flows/{flow_id}/form", fields + [("do", "yaml")])
            assert status == 200 and textarea(page, "source") == source, flow_id
            # Moving a question down and up again changes nothing either.
            status, page = admin.post(f"/admin/flows/{flow_id}/form", fields + [("do", "down:0")])
            assert status == 200
            status, page = admin.post(f"/admin/flows/{flow_id}/form", form_fields(page) + [("do", "up:1")])
            assert status == 200
            status, page = admin.post(f"/admin/flows/{flow_id}/form", form_fields(page) + [("do", "yaml")])
            assert textarea(page, "source") == source, flow_id
            # Saved as it is: refused as identical to the current text, nothing stored.
            status, page = admin.post(f"/admin/flows/{flow_id}/form", fields + [("do", "save")])
            assert status == 400 and "giống hệt" in page, flow_id
    assert stored(live_db_url) == []


def test_a_form_edit_is_saved_as_yaml_and_the_yaml_view_and_the_form_show_the_same(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get("/admin/flows/quick/form")
        fields = form_fields(page)
        # Add a question (a reasons question shown when the officer question is "Không hài lòng").
        status, page = admin.post("/admin/flows/quick/form", fields + [("do", "add")])
        assert status == 400  # the new question has no text yet: a problem to fix, shown in its place
        assert "Câu 4 (q4)" in page and "Question 4 (q4)" in page
        fields = changed(form_fields(page), s3__id="why", s3__kind="reasons", s3__writes="reasons",
                         **{"s3__text.vi": "Vì sao Ông/Bà chưa hài lòng với cán bộ?",
                            "s3__text.en": "Why were you not satisfied with the officer?",
                            "s3__when.test": "in", "s3__when.step": "officer"})
        fields.append(("s3.when.values", "officer:0"))
        status, page = admin.post("/admin/flows/quick/form", fields + [("do", "apply")])
        assert status == 200 and "Không có lỗi" in page
        # Move it above the comment question, then save.
        status, page = admin.post("/admin/flows/quick/form", form_fields(page) + [("do", "up:3")])
        assert status == 200
        fields = form_fields(page)
        status, page = admin.post("/admin/flows/quick/form", changed(fields, note="lý do") + [("do", "save")])
        assert status == 200 and "Đã lưu bản nháp, phiên bản 1" in page
        [(flow_id, revision, source)] = stored(live_db_url)
        assert (flow_id, revision) == ("quick", 1)
        # Only the new question is written afresh: the file's comment and the other questions stay as they were.
        head, _, _ = QUICK.partition("  - id: comment")
        assert source.startswith(head)
        assert source.endswith(QUICK[QUICK.index("  - id: comment"):])
        assert ("  - id: why\n    kind: reasons\n    writes: reasons\n"
                "    when: {step: officer, value_in: [0]}\n") in source
        # The YAML view of revision 1 shows exactly that text; the form opened on it shows the same fields.
        status, page = admin.get("/admin/flows/quick?from=1")
        assert status == 200 and textarea(page, "source") == source
        status, page = admin.get("/admin/flows/quick/form?from=1")
        again = form_fields(page)
        assert [f for f in again if f[0] not in ("note", "base")] == [f for f in fields if f[0] not in ("note", "base")]
        status, page = admin.post("/admin/flows/quick/form", again + [("do", "yaml")])
        assert textarea(page, "source") == source


def test_problems_are_in_vietnamese_and_english_with_their_place_and_nothing_is_saved(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get("/admin/flows/quick/form")
        fields = changed(form_fields(page), s1__writes="indicator.99", **{"s2__text.vi": ""})
        status, page = admin.post("/admin/flows/quick/form", fields + [("do", "save")])
        assert status == 400 and "Chưa lưu: nội dung còn lỗi" in page
        problems = re.findall(r'<li data-step="(\d+)">(.*?)</li>', page, re.S)
        text = " ".join(unescape(re.sub(r"<[^>]+>", "", body)) for _, body in problems)
        assert "Câu 2 (officer) · Ghi vào trường:" in text and "Question 2 (officer) · Writes the field:" in text
        assert "trường 'indicator.99' không có trong lược đồ" in text and "unknown schema field 'indicator.99'" in text
        assert "Câu 3 (comment) · Lời hỏi (chat):" in text and "Question 3 (comment) · Text (chat):" in text
        # The form keeps what was typed.
        assert ("s1.writes", "indicator.99") in form_fields(page)
        # A form that does not fit its text, or a text that is not YAML: a bilingual refusal, never a 500.
        for bad in (changed(fields, steps="9999"), changed(fields, steps="x"), changed(fields, source="a: [\n")):
            status, page = admin.post("/admin/flows/quick/form", bad + [("do", "save")])
            assert status == 400 and 'role="alert"' in page, page[:300]
            assert "không khớp" in page and "does not fit" in page
        status, page = admin.post("/admin/flows/quick/form", [("_csrf", csrf), ("source", "a: [\n"), ("do", "apply")])
        assert status == 400 and 'id="form-unusable"' in page and "Lỗi cú pháp YAML" in page
    assert stored(live_db_url) == []


def test_a_new_flow_is_made_from_the_form_and_its_id_is_checked(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get("/admin/flows/new")
        assert status == 200 and 'name="flow_id"' in page
        for flow_id, name, code in (("Bad Id", "Tên", 400), ("quick", "Tên", 409), ("new", "Tên", 400),
                                    ("ok-id", "", 400)):
            status, page = admin.post("/admin/flows/new", {"_csrf": csrf, "flow_id": flow_id, "name_vi": name})
            assert status == code, flow_id
            assert 'role="alert"' in page and re.search(r'<span lang="en">[A-Z]', page), flow_id
        status, page = admin.post("/admin/flows/new", {"_csrf": csrf, "flow_id": "copy-quick", "name_vi": "Bản sao",
                                                       "name_en": "A copy", "start": "quick"})
        assert status == 200 and 'name="new" value="1"' in page
        fields = form_fields(page)
        status, page = admin.post("/admin/flows/copy-quick/form", fields + [("do", "yaml")])
        source = textarea(page, "source")
        assert source == QUICK.replace("id: quick", "id: copy-quick").replace(
            '  vi: "Đánh giá nhanh"\n  en: "Quick rating"', '  vi: "Bản sao"\n  en: "A copy"')
        assert admin.get("/admin/flows/copy-quick/form")[0] == 404  # not saved yet
        status, page = admin.post("/admin/flows/copy-quick/form", fields + [("do", "save")])
        assert status == 200 and "phiên bản 1" in page
        status, page = admin.get("/admin/flows")
        assert 'data-flow="copy-quick"' in page and "Bản sao" in page
        status, page = admin.get("/admin/flows/copy-quick/form")
        assert status == 200 and ("name.vi", "Bản sao") in form_fields(page)
        # A second new flow of that id is refused.
        status, page = admin.post("/admin/flows/copy-quick/form", fields + [("do", "save")])
        assert status == 409
    assert [(f, r) for f, r, _ in stored(live_db_url)] == [("copy-quick", 1)]


@pytest.mark.parametrize("path", ["/admin/flows/quick/form", "/admin/flows/new"])
def test_the_form_is_for_admins_and_its_posts_need_the_csrf_token(live_db_url, path: str) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get("/admin/flows/quick/form")
        fields = [(k, v) for k, v in form_fields(page) if k != "_csrf"]
        fields = changed(fields, **{"s0__text.vi": "Câu hỏi mới?"}) + [("do", "save"), ("flow_id", "x1"),
                                                                         ("name_vi", "X")]
        assert admin.post(path, fields)[0] == 403
        assert admin.post(path, fields + [("_csrf", "forged" * 4)])[0] == 403
        for username in (u for u, (role, _, _) in USERS.items() if role != "admin"):
            client, token = signed_in(base, username)
            assert client.get(path)[0] == 403
            assert client.post(path, fields + [("_csrf", token)])[0] == 403
        status, page = Client(base).get(path)  # signed out: the sign-in page, not the form
        assert 'name="password"' in page and 'id="flow-form"' not in page and 'id="new-flow"' not in page
    assert stored(live_db_url) == []
