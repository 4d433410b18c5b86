"""Q&A: questions apart from the chat flood, upvotes, the host's ranking, product FAQs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.service import catalog_service
from livecommerce.interactions.repository import question_repository
from livecommerce.interactions.schemas import FaqEntry, FaqOut, QuestionOut
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, NotFound, RateLimited
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit, runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import LiveSessionStatus, Question, QuestionStatus, User

OPEN_STATES = [QuestionStatus.OPEN, QuestionStatus.ANSWERING]
QUESTIONS_PER_WINDOW = 5
QUESTION_WINDOW_S = 60
ASKABLE = (LiveSessionStatus.SCHEDULED, LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)


def question_out(question: Question) -> QuestionOut:
    return QuestionOut(
        id=question.id,
        session_id=question.session_id,
        product_id=question.product_id,
        user_id=question.user_id,
        display_name=question.display_name,
        text=question.text,
        upvotes=question.upvotes,
        host_rank=question.host_rank,
        status=question.status,
        answer=question.answer,
        created_at=question.created_at,
        answered_at=question.answered_at,
    )


class QuestionService:
    async def get_question(self, session: AsyncSession, question_id: str) -> Question:
        question = await question_repository.get(session, question_id)
        if question is None:
            raise NotFound("No such question.", code="question_not_found")
        return question

    async def _check_product(
        self, session: AsyncSession, session_id: str, product_id: str | None
    ) -> None:
        if product_id is None:
            return
        item = await live_service.get_showcase_item_for_product(session, session_id, product_id)
        if item is None:
            raise Conflict(
                "Questions about a product must be about one in the showcase.",
                code="not_in_showcase",
            )

    async def do_ask(
        self, session: AsyncSession, user: User, session_id: str, text: str, product_id: str | None
    ) -> Question:
        live_session = await live_service.get_session(session, session_id)
        if live_session.status not in ASKABLE:
            raise Conflict("This session has ended.", code="session_ended")
        await self._check_product(session, live_session.id, product_id)
        asked = await runtime_of(session).broker.incr(
            f"qa:{live_session.id}:{user.id}", 1, expire_s=QUESTION_WINDOW_S
        )
        if asked > QUESTIONS_PER_WINDOW:
            raise RateLimited(
                f"At most {QUESTIONS_PER_WINDOW} questions a minute.", code="rate_limited"
            )
        question = Question(
            id=new_id(),
            session_id=live_session.id,
            product_id=product_id,
            user_id=user.id,
            display_name=user.display_name,
            text=text,
            upvotes=0,
            status=QuestionStatus.OPEN,
            created_at=utcnow(),
        )
        await question_repository.add(session, question)
        self._announce(session, question, "qa_question")
        return question

    async def list_questions(
        self, session: AsyncSession, session_id: str, *, include_closed: bool
    ) -> list[Question]:
        await live_service.get_session(session, session_id)
        statuses: list[str] = list(OPEN_STATES)
        if include_closed:
            statuses += [QuestionStatus.ANSWERED, QuestionStatus.DISMISSED]
        return await question_repository.list_for_session(session, session_id, statuses)

    async def page_questions(
        self, session: AsyncSession, session_id: str, *, include_closed: bool, page: PageRequest
    ) -> Page[Question]:
        await live_service.get_session(session, session_id)
        statuses: list[str] = list(OPEN_STATES)
        if include_closed:
            statuses += [QuestionStatus.ANSWERED, QuestionStatus.DISMISSED]
        return await question_repository.page_for_session(session, session_id, statuses, page)

    async def list_mine(
        self, session: AsyncSession, user: User, session_id: str, page: PageRequest
    ) -> Page[Question]:
        """The viewer's own questions in a session, answered ones with their answers."""
        await live_service.get_session(session, session_id)
        return await question_repository.list_by_asker(session, session_id, user.id, page)

    async def do_upvote(self, session: AsyncSession, user: User, question_id: str) -> Question:
        question = await self.get_question(session, question_id)
        if question.status not in OPEN_STATES:
            raise Conflict("This question is closed.", code="question_closed")
        if await question_repository.add_vote(session, question.id, user.id):
            await question_repository.refresh(session, question)
            self._announce(session, question, "qa_question")
        return question

    async def _for_host(self, session: AsyncSession, user: User, question_id: str) -> Question:
        question = await self.get_question(session, question_id)
        live_session = await live_service.get_session(session, question.session_id)
        await live_service.check_can_moderate(session, user, live_session, "question", question_id)
        return question

    async def do_mark_answering(
        self, session: AsyncSession, user: User, question_id: str
    ) -> Question:
        question = await self._for_host(session, user, question_id)
        if not await question_repository.transition(
            session,
            question.id,
            from_statuses=[QuestionStatus.OPEN, QuestionStatus.ANSWERING],
            to_status=QuestionStatus.ANSWERING,
        ):
            raise Conflict("This question is closed.", code="question_closed")
        await question_repository.stop_answering_others(session, question.session_id, question.id)
        await question_repository.refresh(session, question)
        self._announce(session, question, "qa_answering")
        return question

    async def do_mark_answered(
        self,
        session: AsyncSession,
        user: User,
        question_id: str,
        *,
        answer: str | None,
        product_id: str | None,
    ) -> Question:
        question = await self._for_host(session, user, question_id)
        if product_id is not None:
            await self._check_product(session, question.session_id, product_id)
        values: dict[str, object] = {"answered_at": utcnow()}
        if answer is not None and answer.strip():
            values["answer"] = answer.strip()
        if product_id is not None:
            values["product_id"] = product_id
        if not await question_repository.transition(
            session,
            question.id,
            from_statuses=list(OPEN_STATES),
            to_status=QuestionStatus.ANSWERED,
            **values,
        ):
            raise Conflict("This question is closed.", code="question_closed")
        await question_repository.refresh(session, question)
        self._announce(session, question, "qa_answered")
        return question

    async def do_dismiss(self, session: AsyncSession, user: User, question_id: str) -> Question:
        question = await self._for_host(session, user, question_id)
        if not await question_repository.transition(
            session,
            question.id,
            from_statuses=list(OPEN_STATES),
            to_status=QuestionStatus.DISMISSED,
        ):
            raise Conflict("This question is closed.", code="question_closed")
        await question_repository.refresh(session, question)
        self._announce(session, question, "qa_question")
        return question

    async def do_rank(
        self, session: AsyncSession, user: User, question_id: str, rank: int | None
    ) -> Question:
        question = await self._for_host(session, user, question_id)
        await question_repository.set_rank(session, question.id, rank)
        await question_repository.refresh(session, question)
        self._announce(session, question, "qa_question")
        return question

    async def faq(self, session: AsyncSession, product_id: str) -> FaqOut:
        product = await catalog_service.get_product(session, product_id)
        questions = await question_repository.faq(session, product.id)
        return FaqOut(
            product_id=product.id,
            items=[
                FaqEntry(
                    question_id=question.id,
                    question=question.text,
                    answer=question.answer or "",
                    upvotes=question.upvotes,
                    answered_at=question.answered_at,
                )
                for question in questions
            ],
        )

    def _announce(self, session: AsyncSession, question: Question, kind: str) -> None:
        publish_after_commit(
            session,
            live_channel(question.session_id),
            {"type": kind, "question": question_out(question).model_dump(mode="json")},
        )


question_service = QuestionService()
