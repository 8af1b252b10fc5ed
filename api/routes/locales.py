"""The reading locales an upload may name."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import TenantDep
from api.http_errors import error_responses
from api.models import LocaleInfo, LocaleList
from schemas.locales import LANGUAGE_DEFAULTS, LOCALES

router = APIRouter(prefix="/v1/locales", tags=["datasets"])


@router.get(
    "",
    response_model=LocaleList,
    summary="The reading locales (the locale field of an upload), by tag",
    responses=error_responses(401),
)
async def list_locales(_tenant: TenantDep) -> LocaleList:
    return LocaleList(
        locales=[
            LocaleInfo(
                tag=loc.tag,
                name=loc.name,
                reads=loc.summary,
                example_number=loc.example_number,
                date_forms=list(dict.fromkeys(f.text for f in loc.date_forms("date"))),
                true_words=list(loc.true_words),
                false_words=list(loc.false_words),
            )
            for loc in sorted(LOCALES.values(), key=lambda loc: loc.tag)
        ],
        languages=dict(sorted(LANGUAGE_DEFAULTS.items())),
    )
