from typing import Any

import pytest

from ..org.factories import BusinessServiceFactory, TeamFactory


@pytest.fixture
def service(db: Any) -> Any:
    return BusinessServiceFactory(
        slug="payroll", name="Payroll", owner_team=TeamFactory(slug="apps", name="Apps")
    )


@pytest.fixture
def other_service(db: Any) -> Any:
    return BusinessServiceFactory(
        slug="vpn", name="VPN", owner_team=TeamFactory(slug="net", name="Net")
    )
