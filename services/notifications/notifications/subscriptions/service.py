"""WeChat one-time subscriptions: what the mini-program reports, one message each."""

from __future__ import annotations

from notifications import rules
from notifications.inbox.exceptions import UnknownTemplate
from notifications.settings import Settings
from notifications.subscriptions.repository import SubscriptionRepository
from notifications.subscriptions.schemas import SubscriptionReport, Subscriptions, TemplateRead
from shared.auth import Identity
from shared.i18n import Language
from shared.uow import UnitOfWork


def template_ids(settings: Settings) -> dict[str, rules.WeChatTemplate]:
    """The mini-program's template ids, with the rules' templates they stand for."""
    return {
        settings.wechat_template_ids.get(template.name, template.template_id): template
        for template in rules.WECHAT_TEMPLATES.values()
    }


def templates(uow: UnitOfWork, language: Language) -> list[TemplateRead]:
    settings: Settings = uow.app.state.settings
    return [
        TemplateRead(
            name=template.name,
            template_id=template_id,
            title=template.title.render(language),
            kinds=[rule.kind for rule in rules.RULES if rule.wechat is template],
        )
        for template_id, template in template_ids(settings).items()
    ]


async def report(uow: UnitOfWork, identity: Identity, body: SubscriptionReport) -> Subscriptions:
    settings: Settings = uow.app.state.settings
    known = template_ids(settings)
    unknown = [template_id for template_id in body.results if template_id not in known]
    if unknown:
        raise UnknownTemplate(
            errors=[
                {"detail": "not a template of this mini-program", "code": "UNKNOWN_TEMPLATE", "pointer": "/results"}
                for _ in unknown[:1]
            ]
        )
    accepted = [template_id for template_id, choice in body.results.items() if choice == "accept"]
    repository = uow.repository(SubscriptionRepository)
    await repository.accept(identity.subject, accepted)
    await uow.flush()
    return Subscriptions(open=await repository.open_counts(identity.subject))


async def mine(uow: UnitOfWork, identity: Identity) -> Subscriptions:
    return Subscriptions(open=await uow.repository(SubscriptionRepository).open_counts(identity.subject))
