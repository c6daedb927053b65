"""Identity verification (본인인증): ``/certifications``.

Results hold personal data (name, birth date, phone number, CI/DI), so callers should
keep them out of logs and XCom unless they need them.
"""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import drop_unset, optional_bool, optional_choice, optional_texts, require_text
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_choice, require_id

#: Mobile carriers of the OTP request.
CARRIERS = ("SKT", "KT", "LGT")
#: Channels that deliver the OTP.
VERIFICATION_METHODS = ("SMS", "APP")


class CertificationsMixin:
    """Identity-verification calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("getCertification", "GET", "/certifications/{imp_uid}")
    def get_certification(self, imp_uid: str) -> dict:
        """Return the result of an identity verification (``GET /certifications/{imp_uid}``)."""
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/certifications/{quote_segment(imp_uid)}")

    @operation("deleteCertification", "DELETE", "/certifications/{imp_uid}")
    def delete_certification(self, imp_uid: str) -> dict:
        """Delete a verification's personal data at PortOne (``DELETE /certifications/{imp_uid}``)."""
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("DELETE", f"/certifications/{quote_segment(imp_uid)}", idempotent=False)

    @operation("requestOTP", "POST", "/certifications/otp/request")
    def request_certification_otp(
        self,
        name: str,
        phone: str,
        birth: str,
        gender_digit: str,
        carrier: str,
        channelKey: str,
        *,
        is_mvno: bool | None = None,
        company: str | None = None,
        merchant_uid: str | None = None,
        pg: str | None = None,
        verification_method: str | None = None,
        bypass: str | None = None,
    ) -> dict:
        """Send a verification OTP to a phone (``POST /certifications/otp/request``).

        Returns ``{imp_uid}``; confirm the code with :meth:`confirm_certification_otp`.
        Each call sends another message, so the client never repeats it.

        :param birth: ``YYYYMMDD``.
        :param gender_digit: the first digit of the back part of the resident number.
        :param carrier: SKT, KT or LGT.
        :param is_mvno: whether the phone is on a budget carrier (알뜰폰).
        :param channelKey: the channel's key from PortOne's console (PortOne's name).
        :param verification_method: SMS or APP.
        """
        body = {
            "name": require_text("name", name),
            "phone": require_text("phone", phone),
            "birth": require_text("birth", birth),
            "gender_digit": require_text("gender_digit", gender_digit),
            "carrier": require_choice("carrier", carrier, CARRIERS),
            "channelKey": require_text("channelKey", channelKey),
        }
        body.update(optional_texts(company=company, pg=pg, bypass=bypass))
        body.update(
            drop_unset(
                {
                    "is_mvno": optional_bool("is_mvno", is_mvno),
                    "merchant_uid": None if merchant_uid is None else require_id("merchant_uid", merchant_uid),
                    "verification_method": optional_choice(
                        "verification_method", verification_method, VERIFICATION_METHODS
                    ),
                }
            )
        )
        return self.request("POST", "/certifications/otp/request", json=body, idempotent=False)

    @operation("confirmOTP", "POST", "/certifications/otp/confirm/{imp_uid}")
    def confirm_certification_otp(self, imp_uid: str, *, otp: str | None = None) -> dict:
        """Confirm the OTP the user received (``POST /certifications/otp/confirm/{imp_uid}``).

        Returns the verification result.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        body = optional_texts(otp=otp)
        path = f"/certifications/otp/confirm/{quote_segment(imp_uid)}"
        return self.request("POST", path, json=body, idempotent=False)
