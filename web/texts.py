"""What the survey and kiosk pages say, in Vietnamese and English (Vietnamese is the default)."""

from __future__ import annotations

LANGUAGES = ("vi", "en")

#: Page texts by key; templates call `t(key)` for the page's language.
TEXTS: dict[str, dict[str, str]] = {
    "title": {"vi": "Đánh giá sự hài lòng", "en": "Satisfaction survey"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "dossier": {"vi": "Hồ sơ", "en": "Dossier"},
    "procedure": {"vi": "Thủ tục", "en": "Procedure"},
    "agency": {"vi": "Cơ quan", "en": "Agency"},
    "welcome": {"vi": "Xin mời Ông/Bà dành ít phút đánh giá việc giải quyết hồ sơ. Mỗi màn hình một câu hỏi; câu trả lời được lưu ngay.",
                "en": "Please take a minute to rate how your dossier was handled. One question per screen; each answer is saved at once."},
    "start": {"vi": "Bắt đầu", "en": "Start"},
    "next": {"vi": "Tiếp tục", "en": "Next"},
    "back": {"vi": "Quay lại", "en": "Back"},
    "skip": {"vi": "Bỏ qua", "en": "Skip"},
    "progress": {"vi": "Câu {n}/{total}", "en": "Question {n} of {total}"},
    "answer": {"vi": "Câu trả lời", "en": "Your answer"},
    "pick_any": {"vi": "Chọn một hoặc nhiều mục", "en": "Choose one or more"},
    "notice_invalid": {"vi": "Xin Ông/Bà chọn hoặc nhập câu trả lời.", "en": "Please choose or enter an answer."},
    "notice_replayed": {"vi": "Câu trả lời đó đã được ghi nhận; đây là câu hỏi hiện tại.", "en": "That answer was already recorded; this is the current question."},
    "thanks_title": {"vi": "Cảm ơn Ông/Bà!", "en": "Thank you!"},
    "thanks": {"vi": "Phiếu đánh giá đã được ghi nhận. Ông/Bà có thể đóng trang này.", "en": "Your evaluation has been recorded. You may close this page."},
    "evaluated_title": {"vi": "Hồ sơ đã được đánh giá", "en": "Already evaluated"},
    "evaluated": {"vi": "Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần.", "en": "This dossier has already been evaluated; each dossier is evaluated once."},
    "unknown_title": {"vi": "Đường dẫn không hợp lệ", "en": "Invalid link"},
    "unknown": {"vi": "Không tìm thấy khảo sát này. Xin kiểm tra lại đường dẫn hoặc mã QR trên phiếu hẹn trả kết quả.", "en": "This survey was not found. Please check the link or the QR code on your return slip."},
    "closed_title": {"vi": "Khảo sát đã đóng", "en": "Survey closed"},
    "closed": {"vi": "Khảo sát này đã hết hạn hoặc đã dừng.", "en": "This survey has expired or was stopped."},
    "forged_title": {"vi": "Biểu mẫu không hợp lệ", "en": "Form not accepted"},
    "forged": {"vi": "Biểu mẫu đã hết hạn hoặc không gửi từ trang này. Xin mở lại đường dẫn khảo sát.", "en": "The form expired or was not sent from this page. Please open the survey link again."},
    "too_big_title": {"vi": "Nội dung quá dài", "en": "Too long"},
    "too_big": {"vi": "Câu trả lời quá dài; xin rút gọn (tối đa 2000 ký tự).", "en": "The answer is too long; please shorten it (2000 characters at most)."},
    "busy": {"vi": "Hệ thống đang bận, xin thử lại.", "en": "The system is busy, please try again."},
    "kiosk_title": {"vi": "Đánh giá tại quầy", "en": "Rate us at the counter"},
    "kiosk_officer": {"vi": "Cán bộ tiếp nhận", "en": "Receiving officer"},
    "kiosk_code": {"vi": "Nhập mã hồ sơ (hoặc quét mã QR trên phiếu hẹn)", "en": "Enter the dossier code (or scan the QR code on your slip)"},
    "kiosk_clear": {"vi": "Xóa hết", "en": "Clear"},
    "kiosk_delete": {"vi": "Xóa", "en": "Delete"},
    "kiosk_go": {"vi": "Đánh giá", "en": "Rate"},
    "kiosk_unknown_desk": {"vi": "Không có quầy này.", "en": "There is no such desk."},
    "kiosk_bad_code": {"vi": "Mã hồ sơ không đúng hoặc không thuộc quầy này.", "en": "The dossier code is wrong or does not belong to this desk."},
    "kiosk_not_returned": {"vi": "Hồ sơ chưa được trả kết quả nên chưa thể đánh giá.", "en": "The dossier has not been returned yet, so it cannot be rated."},
    "kiosk_reset": {"vi": "Màn hình sẽ tự trở về sau ít giây.", "en": "This screen resets in a few seconds."},
}


def translate(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang` (Vietnamese when missing), formatted with `values`."""
    entry = TEXTS.get(key, {})
    text = entry.get(lang) or entry.get("vi") or key
    return text.format(**values) if values else text


def both(key: str) -> tuple[str, str]:
    """The Vietnamese and English texts of `key`, for pages that show both."""
    return translate(key, "vi"), translate(key, "en")
