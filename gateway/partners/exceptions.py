"""Errors of the partners domain."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class PartnerNotFound(NotFound):
    code = "PARTNER_NOT_FOUND"
    title = Text("合作方不存在", "Partner not found")


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    title = Text("API 密钥不存在或已吊销", "API key not found or already revoked")


class PartnerNameTaken(Conflict):
    code = "PARTNER_NAME_TAKEN"
    title = Text("合作方名称已存在", "A partner with this name exists")


class TooManyActiveKeys(Conflict):
    code = "TOO_MANY_ACTIVE_KEYS"
    title = Text("每个合作方最多两个有效密钥", "A partner may have at most two active keys")


class SigningKeyInvalid(ValidationFailed):
    code = "SIGNING_KEY_INVALID"
    title = Text("签名公钥无效", "The signing key is not an Ed25519 public key")


class SigningKeyIdTaken(Conflict):
    code = "SIGNING_KEY_ID_TAKEN"
    title = Text("签名密钥标识已被其他合作方使用", "Another partner uses this signing key id")
