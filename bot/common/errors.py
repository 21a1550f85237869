"""Errors the CLI and HTTP layers turn into clear Vietnamese and English messages."""

from __future__ import annotations


class HailongError(Exception):
    """A user-facing error: a stable code, a Vietnamese message and an English one."""

    code = "error"

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


class SettingsInvalid(HailongError):
    code = "settings_invalid"

    def __init__(self, problems_vi: str, problems_en: str) -> None:
        super().__init__(f"Cấu hình không hợp lệ: {problems_vi}", f"Invalid settings: {problems_en}")


class DossierUnknown(HailongError):
    code = "dossier_unknown"

    def __init__(self, code: str) -> None:
        super().__init__(f"Không tìm thấy hồ sơ {code}.", f"Dossier {code} was not found.")


class DossierNotReturned(HailongError):
    code = "dossier_not_returned"

    def __init__(self, code: str, status: int) -> None:
        super().__init__(
            f"Hồ sơ {code} chưa được trả kết quả (trạng thái {status}); chỉ đánh giá hồ sơ đã xử lý xong hoặc đã trả.",
            f"Dossier {code} has not been returned (status {status}); only processed or returned dossiers can be evaluated.",
        )


class DossierAlreadyEvaluated(HailongError):
    code = "dossier_already_evaluated"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Hồ sơ {code} đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần.",
            f"Dossier {code} has already been evaluated; each dossier is evaluated once.",
        )


class BadInput(HailongError):
    code = "bad_input"
