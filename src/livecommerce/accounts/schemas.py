from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from livecommerce.kit.types import Name

SelfServiceRole = Literal["viewer", "host", "merchant", "mcn_admin", "supplier"]


class SignUpRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=128)
    display_name: Name = Field(min_length=1, max_length=64)
    role: SelfServiceRole = "viewer"
    locale: Literal["zh", "en"] = "zh"

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        value = value.strip().lower()
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value:
            raise ValueError("must be an e-mail address such as name@example.com")
        return value


class LogInRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    display_name: str
    role: str
    locale: str
    created_at: datetime


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserOut


class LocaleUpdate(BaseModel):
    locale: Literal["zh", "en"]
