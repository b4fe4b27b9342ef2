"""Citizens' complaints through the web app, against feedback on real PostgreSQL and Redis."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import auth
from tests.integration.web_support import declare_service_and_tickets, form_fields, web_stack

pytestmark = pytest.mark.integration
__all__ = ["web_stack"]


async def test_a_citizen_files_a_complaint_tracks_it_and_reopens_it_once_closed(web_stack) -> None:
    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    await declare_service_and_tickets(web_stack, region, unit_id)
    browser = web_stack.browser()
    form = await browser.get(f"/pengaduan?region={region}&unit={unit_id}")
    assert form.status_code == 200
    assert "Perekaman KTP-el" in form.text
    assert 'hx-get="/pengaduan/layanan"' in form.text
    # What htmx swaps in when the office changes: that office's services only.
    services = await browser.get(
        f"/pengaduan/layanan?region={region}&unit={unit_id}", headers={"HX-Request": "true"}
    )
    assert services.status_code == 200
    assert "Perekaman KTP-el" in services.text
    assert "<optgroup" not in services.text
    assert "<html" not in services.text
    fields = form_fields(form.text)

    # Bad input: each field's message, what was typed kept, nothing filed.
    refused = await browser.post(
        "/pengaduan",
        data={**fields, "unit": unit_id, "description": "Lama", "reply": "contact", "email": "bukan"},
    )
    assert refused.status_code == 422
    for anchor in ('href="#description"', 'href="#email"'):
        assert anchor in refused.text
    assert 'value="bukan"' in refused.text

    complaint = {
        **fields,
        "unit": unit_id,
        "service": "ktp-el",
        "description": "Antrean perekaman KTP-el ditutup pukul 11.00 padahal jadwal sampai 15.00.",
        "officer": "Loket 2",
        "reply": "contact",
        "name": "Maria Kogoya",
        "phone": "0812 3456 7890",
    }
    not_a_photo = await browser.post(
        "/pengaduan", data=complaint, files={"photo": ("foto.jpg", b"%PDF-1.7", "image/jpeg")}
    )
    assert not_a_photo.status_code == 422
    assert "Foto harus berupa gambar" in not_a_photo.text
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 4000
    admin = auth(web_stack.make_token("region_admin", region=region))
    feedback = web_stack.services["feedback"].client
    checking = await browser.post(
        "/pengaduan", data=complaint, files={"photo": ("loket.jpg", photo, "image/jpeg")}
    )
    # Check your answers first: nothing is sent yet.
    assert checking.status_code == 303
    assert checking.headers["location"].startswith("/pengaduan/periksa?")
    check = await browser.get(checking.headers["location"])
    assert check.status_code == 200
    assert "Periksa jawaban Anda sebelum mengirim pengaduan" in check.text
    for typed in (
        "Antrean perekaman KTP-el ditutup",
        "Loket 2",
        "loket.jpg",
        "Maria Kogoya",
        "0812 3456 7890",
    ):
        assert typed in check.text
    assert (await feedback.get("/v1/complaints", headers=admin)).json() == []
    # The check page is this browser's only: another one finds nothing (the contact details stay here).
    elsewhere = await web_stack.browser("198.51.100.7").get(checking.headers["location"])
    assert "Maria Kogoya" not in elsewhere.text
    assert "Jawaban Anda tidak disimpan lagi" in elsewhere.text

    # Back to change one answer: the form as typed, the photo still attached.
    change = re.search(r'href="(/pengaduan\?region=[^"#]+)#description"', check.text)
    assert change is not None
    again_form = await browser.get(change.group(1).replace("&amp;", "&"))
    assert "Antrean perekaman KTP-el ditutup pukul 11.00" in again_form.text
    assert 'value="Maria Kogoya"' in again_form.text
    assert "Terlampir: loket.jpg" in again_form.text
    changed = {**form_fields(again_form.text), **{k: v for k, v in complaint.items() if k != "csrf_token"}}
    changed["description"] = "Antrean perekaman KTP-el ditutup pukul 11.00.\nJadwalnya sampai 15.00 <papan>."
    rechecked = await browser.post("/pengaduan", data=changed)
    assert rechecked.headers["location"] == checking.headers["location"]  # the same draft
    check = await browser.get(rechecked.headers["location"])
    # As typed: its line break kept for the page's CSS to show (white-space: pre-line), its text escaped.
    assert (
        '<dd class="summary-list__value">Antrean perekaman KTP-el ditutup pukul 11.00.\n'
        "Jadwalnya sampai 15.00 &lt;papan&gt;.</dd>"
    ) in check.text
    assert "loket.jpg" in check.text

    send = form_fields(check.text)
    sent = await browser.post("/pengaduan/kirim", data=send)
    assert sent.status_code == 303
    confirmation = await browser.get(sent.headers["location"])
    code = parse_qs(urlsplit(sent.headers["location"]).query)["kode"][0]
    assert code in confirmation.text
    assert "Pengaduan terkirim" in confirmation.text
    assert "WIT" in confirmation.text  # the deadline in the region's own zone
    assert "Foto Anda telah dilampirkan" in confirmation.text

    # Sent again (double tap, back button to the check page or the form): the same confirmation.
    again = await browser.post("/pengaduan/kirim", data=send)
    assert again.headers["location"] == sent.headers["location"]
    resent_form = await browser.post("/pengaduan", data=changed)
    assert resent_form.headers["location"] == sent.headers["location"]
    revisited = await browser.get(checking.headers["location"])
    assert revisited.headers["location"] == sent.headers["location"]
    listed = (await feedback.get("/v1/complaints", headers=admin)).json()
    assert len(listed) == 1
    assert "Petugas: Loket 2" in listed[0]["description"]
    assert "11.00.\nJadwalnya sampai 15.00 <papan>." in listed[0]["description"]
    shown = await feedback.get(f"/v1/complaints/{listed[0]['complaint_id']}/photo", headers=admin)
    assert shown.content == photo

    tracked = await browser.get(f"/pengaduan/lacak?region={region}&kode={code}")
    assert tracked.status_code == 200
    assert "Diterima" in tracked.text
    assert "3 hari kerja lagi" in tracked.text or "hari kerja lagi" in tracked.text
    unknown = await browser.get(f"/pengaduan/lacak?region={region}&kode=AAAAA-BBBBB")
    assert unknown.status_code == 422
    assert "Tidak ada pengaduan dengan kode pelacakan ini" in unknown.text

    # The desk handles it to the end; the citizen may then reopen it, saying why.
    moves = f"/v1/complaints/{listed[0]['complaint_id']}/transitions"
    for body in (
        {"status": "verified"},
        {"status": "dispatched", "unit_id": unit_id},
        {"status": "followed_up"},
        {"status": "answered", "reason": "Jam layanan diperpanjang"},
        {"status": "closed"},
    ):
        moved = await feedback.post(moves, json=body, headers=admin)
        assert moved.status_code == 200, moved.text
    closed = await browser.get(f"/pengaduan/lacak?region={region}&kode={code}")
    assert "Selesai" in closed.text
    assert "Buka kembali pengaduan saya" in closed.text
    reopen = {**form_fields(closed.text), "reason": "Masih ditutup"}
    reopened = await browser.post("/pengaduan/lacak/buka-kembali", data=reopen)
    assert reopened.status_code == 303
    assert "Dibuka kembali" in (await browser.get(reopened.headers["location"])).text
    # The same form sent again (from another tab): what happened, in words the citizen can act on.
    again = await browser.post("/pengaduan/lacak/buka-kembali", data=reopen)
    assert "Pengaduan ini sudah dibuka kembali dan sedang ditangani lagi" in again.text
    assert "cannot move from" not in again.text
