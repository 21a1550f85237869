"""Message ids of the system texts; translations live in ``locales/*/LC_MESSAGES/hailong.po``."""

from __future__ import annotations

HELP = ("Reply with the number or the words of your answer. Send BACK to change the previous "
        "answer, STOP to end the survey, HELP to see this message.")
HINT_CHOICE = "Sorry, I did not understand. Please reply with one of the numbers below."
HINT_NUMBER = "Please reply with a number from {min} to {max}."
HINT_YESNO = "Please reply Yes or No."
HINT_REASONS = "Please reply with one or more numbers from the list, for example: 1 3."
HINT_TEXT = "Please write your answer in a few words."
HINT_TEXT_OPTIONAL = "Please write a few words, or send SKIP if you have nothing to add."
MOVING_ON = "Let's move on to the next question."
THANKS = "Thank you for your evaluation!"
OPTED_OUT = "You have stopped the survey. We will not ask you more about this dossier. Thank you."
ALREADY_ENDED = "This survey has already ended. Thank you!"
GOING_BACK = "Going back to the previous question."
NOTHING_TO_GO_BACK_TO = "This is the first question; there is nothing to go back to."
EXPIRED = "This survey has expired. Thank you for your time."
YES = "Yes"
NO = "No"
# An agency's total (survey_flows.totals): rated only when every indicator is present.
TOTAL_COMPLETE = "{total} of {maximum} points — {band}"
TOTAL_PARTIAL = ("{present} of {count} indicators so far: {total} points out of the {maximum} they allow. "
                 "Not rated until all {count} are in (missing: indicator {missing}).")

ALL = (HELP, HINT_CHOICE, HINT_NUMBER, HINT_YESNO, HINT_REASONS, HINT_TEXT, HINT_TEXT_OPTIONAL,
       MOVING_ON, THANKS, OPTED_OUT, ALREADY_ENDED, GOING_BACK, NOTHING_TO_GO_BACK_TO, EXPIRED, YES, NO,
       TOTAL_COMPLETE, TOTAL_PARTIAL)
