"""Apache Airflow provider for the PortOne REST API V1 (formerly iamport)."""

from __future__ import annotations

__version__ = "0.1.0"

PACKAGE_NAME = "airflow-provider-portone"
INTEGRATION = "PortOne"


def get_provider_info() -> dict:
    """Return the provider metadata Airflow reads through the ``apache_airflow_provider`` entry point.

    The connection form of Airflow 3's UI is built from ``conn-fields`` and
    ``ui-field-behaviour`` here, without importing the hook.
    """
    return {
        "package-name": PACKAGE_NAME,
        "name": "PortOne",
        "description": "PortOne REST API V1 (iamport): payments, settlements, refunds and barcodes.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://developers.portone.io/api/rest-v1",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": INTEGRATION, "python-modules": ["portone_provider.hooks.portone"]},
        ],
        "operators": [
            {"integration-name": INTEGRATION, "python-modules": ["portone_provider.operators.portone"]},
        ],
        "sensors": [
            {"integration-name": INTEGRATION, "python-modules": ["portone_provider.sensors.portone"]},
        ],
        "triggers": [
            {"integration-name": INTEGRATION, "python-modules": ["portone_provider.triggers.portone"]},
        ],
        "connection-types": [
            {
                "connection-type": "portone",
                "hook-class-name": "portone_provider.hooks.portone.PortOneHook",
                "hook-name": "PortOne",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "host": "Base URL",
                        "login": "API key",
                        "password": "API secret",
                    },
                    "placeholders": {
                        "host": "https://api.iamport.kr",
                        "login": "REST API 키 (imp_key)",
                        "password": "REST API 시크릿 (imp_secret)",
                    },
                },
                "conn-fields": {
                    "tier_code": {
                        "label": "Tier code",
                        "description": "Sub-merchant tier code, sent as the Tier header. "
                        "하위 상점 연동 시에만 입력합니다.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "description": "Seconds to wait for PortOne on each request. "
                        "요청당 대기 시간(초), 기본값 30.",
                        "schema": {"type": ["number", "null"], "default": 30, "exclusiveMinimum": 0},
                    },
                },
            }
        ],
    }
