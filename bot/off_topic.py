"""Examples of messages a course's knowledge base does not answer, for the matcher's meaning.

With meaning on (the bundled sentence model by default, or the word vectors), a question that
means nearly the same as one of these examples, and more so than it means the best entry, loses
confidence (see ``bot.matching``). A knowledge base that does answer such a question (a course
FAQ on certificates, say) keeps it: its entry is closer in meaning than the generic example.

They follow the out-of-scope kinds members send: small talk, course logistics and accounts,
personal career services, unrelated programming help and general trivia. A knowledge folder adds
its own in ``off-topic.txt`` (one message per line), for instance when the question log shows the
bot answering what it should not.
"""

from __future__ import annotations

# Course logistics are out of the webinars' scope (the matcher must not answer them from a
# webinar), but they are real questions for the host: the report keeps them among its gaps.
COURSE_LOGISTICS: tuple[str, ...] = (
    "When does the next course start?",
    "How much does the course cost?",
    "Can I get a refund?",
    "Is there a discount or a scholarship?",
    "Where is the link to the live session?",
    "When will the recording be available?",
    "How do I get my certificate?",
    "What is the deadline to submit?",
    "How do I reset my password?",
    "Can I download the slides?",
)

# Not a question about the course at all: the report lists these apart from the gaps.
NOT_ABOUT_THE_COURSE: tuple[str, ...] = (
    # Small talk: nothing is asked.
    "hi everyone, I just joined",
    "ok cool, thanks",
    "good morning, how are you all doing?",
    "lol nice",
    # Personal career services and facts about companies.
    "What salary can I expect?",
    "Can you review my resume?",
    "Can you help me write a cover letter?",
    "Is this company hiring?",
    "Can I get a mentor?",
    # Unrelated programming help and hardware.
    "How do I fix this error in my code?",
    "What is the difference between a list and a tuple in Python?",
    "How do I center a div in CSS?",
    "Which laptop should I buy?",
    # General trivia.
    "Who won the world cup?",
    "What is the weather today?",
)

OFF_TOPIC_EXAMPLES: tuple[str, ...] = (
    NOT_ABOUT_THE_COURSE[:4] + COURSE_LOGISTICS + NOT_ABOUT_THE_COURSE[4:]
)
