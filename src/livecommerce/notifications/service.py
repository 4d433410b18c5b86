"""Notifications: the in-app inbox, e-mail, each user's choices, and session reminders.

Other domains reach people through :meth:`NotificationService.notify`: it stores one
inbox row per recipient (at most one per ``dedupe_key``), queues an e-mail job for
those who want e-mail of that category, and tells their open pages after commit.
Nothing is sent inside a request: e-mail goes out from the worker loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.kit.broker import user_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import Runtime, publish_after_commit, runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import (
    EmailDelivery,
    EmailStatus,
    LiveSessionStatus,
    Notification,
    NotificationCategory,
    User,
)
from livecommerce.notifications.mailer import Email, PermanentEmailError, send_email
from livecommerce.notifications.repository import notification_repository
from livecommerce.notifications.templates import TEMPLATES, render
from livecommerce.worker.loop import retry_delay
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

SEND_EMAIL_JOB = "notifications.send_email"
REMIND_JOB = "notifications.remind"
REMINDER_BATCH = 500
CATEGORIES = tuple(str(category) for category in NotificationCategory)
# (in-app, e-mail) when the user has not chosen: marketing e-mail is opt-in.
DEFAULTS: dict[str, tuple[bool, bool]] = {
    NotificationCategory.REMINDERS: (True, True),
    NotificationCategory.FAN_MESSAGES: (True, True),
    NotificationCategory.ORDER_UPDATES: (True, True),
    NotificationCategory.MARKETING: (True, False),
    NotificationCategory.TEAM: (True, True),
}
# Reminder kinds of a reserved session and the template each sends.
REMINDER_TEMPLATES = {
    "soon": "session_soon",
    "live": "session_live",
    "late": "session_late",
    "cancelled": "session_cancelled",
}
_UNSUBSCRIBE_PURPOSE = b"unsubscribe:"


class InvalidUnsubscribeToken(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("This unsubscribe link is not valid.", code="invalid_unsubscribe_token")


def _check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise ValidationFailed(
            "No such notification category.",
            code="unknown_notification_category",
            details={"category": category},
        )
    return category


class NotificationService:
    # ---- sending: the API other domains call ----------------------------------------------

    async def notify(
        self,
        session: AsyncSession,
        user_ids: Sequence[str],
        template: str,
        params: Mapping[str, object] | None = None,
        *,
        link: str | None = None,
        dedupe_key: str | None = None,
        category: str | None = None,
    ) -> list[str]:
        """Notify ``user_ids`` in the current unit of work; the ids of the notifications
        added. ``template`` names a text of ``templates.TEMPLATES`` (``"message"`` with
        ``title`` and ``body`` for a person's own words); ``category`` overrides the
        template's (a promotion is ``marketing``). With ``dedupe_key`` a user gets the
        notification at most once, however often and from however many workers this is
        called. Each user's preferences decide the inbox and the e-mail; the e-mail is a
        job, sent after commit by the worker loop."""
        if template not in TEMPLATES:
            raise ValueError(f"unknown notification template {template!r}")
        chosen = _check_category(category or str(TEMPLATES[template].category))
        recipients = list(dict.fromkeys(user_ids))
        if not recipients:
            return []
        preferences = await self._preferences(session, recipients, chosen)
        plain = {key: str(value) for key, value in (params or {}).items()}
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "user_id": user_id,
                "category": chosen,
                "template": template,
                "params": plain,
                "link": link,
                "dedupe_key": dedupe_key,
                "in_app": preferences[user_id][0],
                "read_at": None,
                "created_at": now,
            }
            for user_id in recipients
            if any(preferences[user_id])
        ]
        added = await notification_repository.insert_notifications(session, rows)
        runtime = runtime_of(session)
        emailed = [user_id for _, user_id in added if preferences[user_id][1]]
        users = await account_service.get_users(session, set(emailed)) if emailed else {}
        for notification_id, user_id in added:
            if preferences[user_id][0]:
                publish_after_commit(
                    session, user_channel(user_id), {"type": "notification", "id": notification_id}
                )
            user = users.get(user_id)
            if user is None or runtime.settings.smtp_url is None or not preferences[user_id][1]:
                continue
            delivery = EmailDelivery(
                id=new_id(),
                notification_id=notification_id,
                user_id=user_id,
                to_address=user.email,
                status=EmailStatus.PENDING,
                attempts=0,
                message_id=f"<{notification_id}@{_mail_domain(runtime)}>",
            )
            notification_repository.add_delivery(session, delivery)
            job_service.do_schedule(
                session, SEND_EMAIL_JOB, run_at=now, payload={"delivery_id": delivery.id}
            )
        return [notification_id for notification_id, _ in added]

    # ---- the inbox ------------------------------------------------------------------------

    async def page_inbox(
        self, session: AsyncSession, user: User, *, unread_only: bool, page: PageRequest
    ) -> Page[Notification]:
        return await notification_repository.page_inbox(
            session, user.id, unread_only=unread_only, page=page
        )

    async def unread_count(self, session: AsyncSession, user: User) -> int:
        return await notification_repository.unread_count(session, user.id)

    async def unread_count_of(self, session: AsyncSession, user_id: str) -> int:
        return await notification_repository.unread_count(session, user_id)

    async def do_mark_read(self, session: AsyncSession, user: User, notification_id: str) -> int:
        notification = await notification_repository.get(session, notification_id)
        if notification is None or notification.user_id != user.id or not notification.in_app:
            raise NotFound("No such notification.", code="notification_not_found")
        await notification_repository.mark_read(session, user.id, [notification_id], utcnow())
        return await self._after_read(session, user)

    async def do_mark_all_read(self, session: AsyncSession, user: User) -> int:
        await notification_repository.mark_read(session, user.id, None, utcnow())
        return await self._after_read(session, user)

    async def _after_read(self, session: AsyncSession, user: User) -> int:
        unread = await notification_repository.unread_count(session, user.id)
        publish_after_commit(session, user_channel(user.id), {"type": "unread", "unread": unread})
        return unread

    # ---- preferences and unsubscribing ----------------------------------------------------

    async def _preferences(
        self, session: AsyncSession, user_ids: Sequence[str], category: str
    ) -> dict[str, tuple[bool, bool]]:
        chosen = {
            row.user_id: (row.in_app, row.email)
            for row in await notification_repository.preferences_of(session, user_ids, category)
        }
        default = DEFAULTS[category]
        return {user_id: chosen.get(user_id, default) for user_id in user_ids}

    async def count_reachable(
        self, session: AsyncSession, user_ids: Sequence[str], category: str
    ) -> int:
        """How many of ``user_ids`` a notification of ``category`` would reach."""
        if not user_ids:
            return 0
        preferences = await self._preferences(session, list(user_ids), _check_category(category))
        return sum(1 for choice in preferences.values() if any(choice))

    async def get_preferences(
        self, session: AsyncSession, user: User
    ) -> dict[str, tuple[bool, bool]]:
        """Every category's (in-app, e-mail) for the user, defaults filled in."""
        rows = await notification_repository.preferences_of(session, [user.id])
        chosen = {row.category: (row.in_app, row.email) for row in rows}
        return {category: chosen.get(category, DEFAULTS[category]) for category in CATEGORIES}

    async def do_set_preference(
        self,
        session: AsyncSession,
        user_id: str,
        category: str,
        *,
        in_app: bool | None = None,
        email: bool | None = None,
    ) -> None:
        _check_category(category)
        await notification_repository.upsert_preference(
            session,
            user_id,
            category,
            in_app=in_app,
            email=email,
            defaults=DEFAULTS[category],
            now=utcnow(),
        )

    def unsubscribe_token(self, runtime: Runtime, user_id: str, category: str) -> str:
        """A token that turns off ``category`` e-mail for ``user_id``, without logging in."""
        subject = f"{user_id}:{category}".encode()
        encoded = base64.urlsafe_b64encode(subject).decode().rstrip("=")
        return f"{encoded}.{self._signature(runtime, subject)}"

    def _signature(self, runtime: Runtime, subject: bytes) -> str:
        key = runtime.settings.secret_key.encode()
        return hmac.new(key, _UNSUBSCRIBE_PURPOSE + subject, hashlib.sha256).hexdigest()[:40]

    def read_unsubscribe_token(self, runtime: Runtime, token: str) -> tuple[str, str]:
        """(user id, category) of a valid token; 422 invalid_unsubscribe_token otherwise."""
        encoded, _, signature = token.partition(".")
        try:
            subject = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            user_id, _, category = subject.decode().partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidUnsubscribeToken() from exc
        expected = self._signature(runtime, subject)
        if not hmac.compare_digest(expected.encode(), signature.encode()) or (
            category not in CATEGORIES
        ):
            raise InvalidUnsubscribeToken()
        return user_id, category

    async def do_unsubscribe(self, session: AsyncSession, token: str) -> str:
        """Turn off the token's category of e-mail; the category. Idempotent."""
        user_id, category = self.read_unsubscribe_token(runtime_of(session), token)
        try:
            await account_service.get_user(session, user_id)
        except NotFound as exc:
            raise InvalidUnsubscribeToken() from exc
        await self.do_set_preference(session, user_id, category, email=False)
        return category

    # ---- e-mail jobs ------------------------------------------------------------------

    async def do_send_email(self, session: AsyncSession, delivery_id: str) -> None:
        """The job of one e-mail: claim it (pending → sending) and hand it to the SMTP
        server after this unit commits, so it goes out at most once; a failure to reach
        the server puts it back to pending with a later job (back-off)."""
        runtime = runtime_of(session)
        settings = runtime.settings
        delivery = await notification_repository.claim_delivery(session, delivery_id)
        if delivery is None:
            return  # sent, given up, or another worker has it
        notification = await notification_repository.get(session, delivery.notification_id)
        if notification is None or settings.smtp_url is None:
            await notification_repository.set_delivery(
                session, delivery.id, status=EmailStatus.SKIPPED, last_error="no SMTP server"
            )
            return
        preferences = await self._preferences(session, [delivery.user_id], notification.category)
        if not preferences[delivery.user_id][1]:
            await notification_repository.set_delivery(
                session, delivery.id, status=EmailStatus.SKIPPED, last_error="unsubscribed"
            )
            return
        now = utcnow()
        window = int(now.timestamp()) // 3600
        sent_this_hour = await runtime.broker.incr(
            f"email-rate:{delivery.user_id}:{window}", expire_s=3600
        )
        if sent_this_hour > settings.email_per_recipient_per_hour:
            later = datetime.fromtimestamp((window + 1) * 3600, tz=now.tzinfo)
            job_service.do_schedule(
                session, SEND_EMAIL_JOB, run_at=later, payload={"delivery_id": delivery.id}
            )
            return
        user = await account_service.get_user(session, delivery.user_id)
        email = self._compose(runtime, delivery, notification, user.locale)
        attempts = delivery.attempts + 1
        await notification_repository.set_delivery(
            session, delivery.id, status=EmailStatus.SENDING, attempts=attempts
        )

        async def _send() -> None:
            await self._hand_over(runtime, delivery.id, email, attempts)

        after_commit(session, _send)

    def _compose(
        self, runtime: Runtime, delivery: EmailDelivery, notification: Notification, locale: str
    ) -> Email:
        language = "en" if locale == "en" else "zh"
        title, body = render(notification.template, notification.params, language)
        base = runtime.settings.public_url.rstrip("/")
        token = self.unsubscribe_token(runtime, delivery.user_id, notification.category)
        page = f"{base}/unsubscribe?token={token}"
        lines = [body, ""]
        if notification.link:
            lines += [f"{base}{notification.link}", ""]
        lines += [
            "—",
            "不想再收到这类邮件？点此退订：" if language == "zh" else "Stop e-mails like this:",
            page,
        ]
        return Email(
            to=delivery.to_address,
            subject=title,
            text="\n".join(lines) + "\n",
            message_id=delivery.message_id,
            unsubscribe_url=f"{base}/api/v1/notifications/unsubscribe?token={token}",
            unsubscribe_page=page,
        )

    async def _hand_over(
        self, runtime: Runtime, delivery_id: str, email: Email, attempts: int
    ) -> None:
        settings = runtime.settings
        assert settings.smtp_url is not None
        try:
            await send_email(
                settings.smtp_url, settings.smtp_from, email, timeout_s=settings.smtp_timeout_s
            )
        except PermanentEmailError as exc:
            await self._finish(runtime, delivery_id, EmailStatus.FAILED, str(exc)[:2000])
        except Exception as exc:
            log.warning("e-mail %s: attempt %d failed: %s", delivery_id, attempts, exc)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if attempts >= settings.email_max_attempts:
                await self._finish(runtime, delivery_id, EmailStatus.FAILED, error)
            else:
                async with runtime.db.transaction() as session:
                    await notification_repository.set_delivery(
                        session, delivery_id, status=EmailStatus.PENDING, last_error=error
                    )
                    job_service.do_schedule(
                        session,
                        SEND_EMAIL_JOB,
                        run_at=utcnow() + retry_delay(attempts),
                        payload={"delivery_id": delivery_id},
                    )
        else:
            await self._finish(runtime, delivery_id, EmailStatus.SENT, None)

    async def _finish(
        self, runtime: Runtime, delivery_id: str, status: str, error: str | None
    ) -> None:
        async with runtime.db.transaction() as session:
            values: dict[str, Any] = {"status": status, "last_error": error}
            if status == EmailStatus.SENT:
                values["sent_at"] = utcnow()
            await notification_repository.set_delivery(session, delivery_id, **values)

    async def list_deliveries(
        self, session: AsyncSession, *, user_id: str | None = None
    ) -> list[EmailDelivery]:
        return await notification_repository.list_deliveries(session, user_id=user_id)

    # ---- reminders of reserved sessions ---------------------------------------------------

    def do_plan_reminders(
        self, session: AsyncSession, session_id: str, planned_start_at: datetime
    ) -> None:
        """The timers of a reserved session: "soon" before it, "late" after it. Planned at its
        first reservation and again when its start moves; a timer whose planned start has
        moved since finds it changed and does nothing."""
        settings = runtime_of(session).settings
        payload = {"session_id": session_id, "planned_start_at": planned_start_at.isoformat()}
        soon_at = planned_start_at - timedelta(minutes=settings.reminder_lead_min)
        late_at = planned_start_at + timedelta(minutes=settings.reminder_late_after_min)
        if soon_at >= utcnow():  # reserved within the lead time: the "live" reminder will do
            job_service.do_schedule(
                session, REMIND_JOB, run_at=soon_at, payload={**payload, "kind": "soon"}
            )
        job_service.do_schedule(
            session, REMIND_JOB, run_at=late_at, payload={**payload, "kind": "late"}
        )

    def do_queue_reminder(self, session: AsyncSession, session_id: str, kind: str) -> None:
        """Tell a session's reservers ``kind`` (live, cancelled) from the worker loop."""
        job_service.do_schedule(
            session, REMIND_JOB, run_at=utcnow(), payload={"session_id": session_id, "kind": kind}
        )

    async def do_remind(self, session: AsyncSession, payload: Mapping[str, Any]) -> int:
        """One batch of a reminder job: notify up to REMINDER_BATCH reservers and queue the
        rest as another job. Each reserver gets each kind once per session (the dedupe key),
        however many jobs or workers run it. Returns how many were notified now."""
        session_id = str(payload["session_id"])
        kind = str(payload["kind"])
        template = REMINDER_TEMPLATES[kind]
        live_session = await live_service.get_session(session, session_id)
        settings = runtime_of(session).settings
        planned = payload.get("planned_start_at")
        if kind in ("soon", "late"):
            if live_session.status != LiveSessionStatus.SCHEDULED:
                return 0  # started early, or cancelled: nothing to remind of
            if planned is not None and live_session.planned_start_at != datetime.fromisoformat(
                str(planned)
            ):
                return 0  # rescheduled: the new start has timers of its own
        if kind == "cancelled" and live_session.status != LiveSessionStatus.CANCELLED:
            return 0
        after = payload.get("after")
        reservers = await live_service.reserver_ids(
            session, session_id, after=None if after is None else str(after), limit=REMINDER_BATCH
        )
        if not reservers:
            return 0
        room = await live_service.get_room(session, live_session.room_id)
        minutes = settings.reminder_lead_min
        if kind == "soon":
            left = (live_session.planned_start_at - utcnow()).total_seconds()
            minutes = max(1, round(left / 60))
        elif kind == "late":
            minutes = settings.reminder_late_after_min
        added = await self.notify(
            session,
            reservers,
            template,
            {"title": live_session.title, "room": room.name, "minutes": minutes},
            link=f"/live/{session_id}",
            dedupe_key=f"session:{session_id}:{kind}",
        )
        if len(reservers) == REMINDER_BATCH:
            job_service.do_schedule(
                session,
                REMIND_JOB,
                run_at=utcnow(),
                payload={**payload, "after": reservers[-1]},
            )
        return len(added)


def _mail_domain(runtime: Runtime) -> str:
    host = runtime.settings.public_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "livecommerce.local"


notification_service = NotificationService()
