"""Fake Korean words for the demo data set: products, buyers, addresses, banks and cards.

Every name, address and merchant here is invented. PortOne reports bank and
card companies by the Korea Financial Telecommunications & Clearings
Institute (금융결제원) standard codes in bank_code and card_code.

NOTE: the code values below were written from memory and not checked against
the official code table, so treat them as plausible, not authoritative.
"""

from __future__ import annotations

# (product name, unit price in KRW)
PRODUCTS: tuple[tuple[str, int], ...] = (
    ("유기농 현미 5kg", 32900),
    ("제주 감귤 3kg", 18900),
    ("무선 블루투스 이어폰", 59000),
    ("스테인리스 텀블러 500ml", 15800),
    ("핸드드립 원두 200g", 12500),
    ("메모리폼 베개", 45000),
    ("캠핑용 접이식 의자", 38000),
    ("어린이 그림책 세트", 27000),
    ("국산 참기름 350ml", 14900),
    ("겨울 니트 가디건", 49900),
    ("요가 매트 8mm", 25900),
    ("LED 무드등", 19800),
    ("한우 선물세트 1.2kg", 159000),
    ("수제 딸기잼 2개입", 11800),
    ("면 100% 수건 5장", 16900),
    ("휴대용 보조배터리 10000mAh", 29900),
    ("전통 한과 선물세트", 42000),
    ("반려견 수제 간식", 9900),
    ("아로마 디퓨저 200ml", 23500),
    ("여행용 캐리어 24인치", 129000),
    ("2027 다이어리", 13500),
    ("천연 비누 3종 세트", 17500),
    ("스마트폰 케이스", 12900),
    ("홍삼 농축액 30포", 68000),
    ("냉장고 정리용기 6종", 21900),
    ("등산 양말 3켤레", 10900),
    ("무항생제 유정란 30구", 13900),
    ("원목 도마", 24900),
    ("전기 주전자 1.7L", 34900),
    ("접이식 독서대", 19900),
)

SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권")
GIVEN_NAMES = (
    "민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "지호", "수아",
    "예준", "지민", "주원", "채원", "건우", "다은", "현우", "유진", "은우", "소윤",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.kr", "mail.example.com", "shop.example.kr")

# (city and district, road names in it)
ADDRESS_AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("서울특별시 강남구", ("테헤란로", "도산대로", "봉은사로")),
    ("서울특별시 마포구", ("월드컵북로", "양화로", "독막로")),
    ("서울특별시 송파구", ("올림픽로", "송파대로")),
    ("부산광역시 해운대구", ("해운대로", "센텀중앙로")),
    ("대구광역시 수성구", ("달구벌대로", "동대구로")),
    ("인천광역시 연수구", ("컨벤시아대로", "센트럴로")),
    ("광주광역시 서구", ("상무대로", "시청로")),
    ("대전광역시 유성구", ("대학로", "엑스포로")),
    ("경기도 성남시 분당구", ("판교역로", "정자일로")),
    ("경기도 수원시 영통구", ("광교중앙로", "영통로")),
    ("제주특별자치도 제주시", ("연북로", "노형로")),
)

# (bank code, bank name)
BANKS: tuple[tuple[str, str], ...] = (
    ("004", "KB국민은행"),
    ("088", "신한은행"),
    ("020", "우리은행"),
    ("081", "하나은행"),
    ("011", "NH농협은행"),
    ("003", "IBK기업은행"),
    ("090", "카카오뱅크"),
    ("023", "SC제일은행"),
)

# (card company code, card company name)
CARD_COMPANIES: tuple[tuple[str, str], ...] = (
    ("361", "BC카드"),
    ("381", "KB국민카드"),
    ("366", "신한카드"),
    ("367", "현대카드"),
    ("365", "삼성카드"),
    ("368", "롯데카드"),
    ("371", "NH농협카드"),
    ("041", "우리카드"),
    ("374", "하나카드"),
)

# Invented merchant name shown as the virtual account holder.
VBANK_HOLDER = "(주)한빛생활상점"

FAIL_REASONS_CARD = (
    "카드 한도가 초과되었습니다",
    "카드 잔액이 부족합니다",
    "카드 비밀번호가 일치하지 않습니다",
    "구매자가 결제를 중단했습니다",
    "분실 또는 정지된 카드입니다",
)
FAIL_REASONS_OTHER = (
    "구매자가 결제를 중단했습니다",
    "은행 점검 시간이라 결제할 수 없습니다",
    "가상계좌 발급에 실패했습니다",
    "계좌 잔액이 부족합니다",
)

CANCEL_REASONS_FULL = (
    "고객 변심으로 인한 주문 취소",
    "상품 품절로 인한 취소",
    "배송 지연으로 인한 취소",
    "중복 주문 취소",
)
CANCEL_REASONS_PARTIAL = (
    "부분 환불: 구성품 누락",
    "부분 환불: 배송비 환급",
    "부분 환불: 일부 상품 반품",
    "부분 환불: 쿠폰 미적용 차액",
)

USER_AGENTS_PC = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
)
USER_AGENTS_MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-S921N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
)

CUSTOM_DATA_SAMPLES = (
    '{"coupon_code":"WINTER10"}',
    '{"order_source":"app","app_version":"5.2.1"}',
    '{"gift_message":"생일 축하해요"}',
    '{"membership_grade":"gold"}',
)
