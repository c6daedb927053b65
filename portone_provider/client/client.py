"""The :class:`PortOneClient` class: every API area's mixin on one HTTP core."""

from __future__ import annotations

from portone_provider.client.base import BaseClient
from portone_provider.client.cancel import CancelMixin
from portone_provider.client.cvs import CvsMixin
from portone_provider.client.payments import PaymentsMixin
from portone_provider.client.benepia import BenepiaMixin
from portone_provider.client.certifications import CertificationsMixin
from portone_provider.client.codes import CodesMixin
from portone_provider.client.escrow import EscrowMixin
from portone_provider.client.kcpquick import KcpQuickMixin
from portone_provider.client.naver import NaverMixin
from portone_provider.client.partners import PartnersMixin
from portone_provider.client.payco import PaycoMixin
from portone_provider.client.payments_extra import PaymentsExtraMixin
from portone_provider.client.paymentwall import PaymentwallMixin
from portone_provider.client.prepare import PrepareMixin
from portone_provider.client.ratelimit import PaymentRateLimitMixin
from portone_provider.client.receipts import ReceiptsMixin
from portone_provider.client.schedules import SchedulesMixin
from portone_provider.client.subscribe import SubscribeMixin
from portone_provider.client.tiers import TiersMixin
from portone_provider.client.users import UsersMixin
from portone_provider.client.vbanks import VbanksMixin

class PortOneClient(
    PaymentsMixin,
    CancelMixin,
    CvsMixin,
    PaymentsExtraMixin,
    PrepareMixin,
    VbanksMixin,
    ReceiptsMixin,
    SubscribeMixin,
    SchedulesMixin,
    CertificationsMixin,
    EscrowMixin,
    NaverMixin,
    PaycoMixin,
    KcpQuickMixin,
    PaymentwallMixin,
    BenepiaMixin,
    PartnersMixin,
    TiersMixin,
    UsersMixin,
    CodesMixin,
    PaymentRateLimitMixin,
    BaseClient,
):
    """Client for the PortOne REST API V1.

    Every call returns the ``response`` member of PortOne's ``{code, message, response}``
    envelope as plain JSON data. See :class:`~portone_provider.client.base.BaseClient`
    for the constructor's parameters.

    >>> client = PortOneClient("my_api_key", "my_api_secret")  # doctest: +SKIP
    >>> client.get_payment("imp_123456789012")["status"]  # doctest: +SKIP
    'paid'
    """
