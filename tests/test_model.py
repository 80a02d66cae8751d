"""The service model: read through botocore's public API, older models handled with advice."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import botocore
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

import dialkit
from dialkit.aws import model as _model
from dialkit.aws.adapters import V1Adapter, V2Adapter
from dialkit.aws.model import BOTOCORE_FLOOR, RING_TIMEOUT_SINCE, ModelNotSupported, constraints, service_model


@pytest.fixture
def fresh_models() -> Iterator[None]:
    """Forget the cached models before and after, so a test may load a doctored one."""
    service_model.cache_clear()
    constraints.cache_clear()
    yield
    service_model.cache_clear()
    constraints.cache_clear()


def _model_without_ring_timeout(tmp_path: Path) -> Path:
    """A copy of the installed v2 model as botocore < 1.41 shipped it: no RingTimeout."""
    loader = botocore.session.get_session().get_component("data_loader")
    raw = loader.load_service_model("connectcampaignsv2", "service-2")
    raw = json.loads(json.dumps(raw))
    raw["shapes"].pop("RingTimeout", None)  # (already absent at the floor, botocore 1.35.76)
    raw["shapes"]["TelephonyChannelSubtypeParameters"]["members"].pop("ringTimeout", None)
    version = raw["metadata"]["apiVersion"]
    folder = tmp_path / "data" / "connectcampaignsv2" / version
    folder.mkdir(parents=True)
    (folder / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(raw).encode()))
    return tmp_path / "data"


def test_the_model_is_read_through_botocores_public_api() -> None:
    source = Path(_model.__file__).read_text()
    assert "_shape_resolver" not in source and "_shape_map" not in source
    v1 = service_model("v1").operation_model("PutDialRequestBatch").input_shape
    # the v1 campaign id pattern is whatever the installed model says, never a copy
    assert constraints("v1").campaign_id.pattern == v1.members["id"].metadata["pattern"]
    assert constraints("v1").campaign_id.max_length == v1.members["id"].metadata["max"]
    v2 = service_model("v2").operation_model("PutOutboundRequestBatch").input_shape
    assert constraints("v2").campaign_id.pattern == v2.members["id"].metadata["pattern"]


def test_iam_actions_come_from_the_models_signing_name() -> None:
    assert constraints("v1").iam_action() == "connect-campaigns:PutDialRequestBatch"
    assert constraints("v2").iam_action() == "connect-campaigns:PutOutboundRequestBatch"
    assert constraints("v2").iam_action("GetCampaignState") == "connect-campaigns:GetCampaignState"


def test_a_model_without_ring_timeout_means_not_supported_not_key_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(_model_without_ring_timeout(tmp_path)))
    c = constraints("v2")
    assert c.ring_timeout is None and c.max_batch == 25
    V2Adapter()  # everything else still works
    with pytest.raises(ModelNotSupported) as info:
        V2Adapter(ring_timeout=30)
    message = str(info.value)
    assert f"botocore {botocore.__version__}" in message and f">= {RING_TIMEOUT_SINCE}" in message
    assert isinstance(info.value, dialkit.DialkitError)


def test_a_botocore_without_the_v2_model_says_which_version_to_install(
    monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    real = botocore.session.Session.get_service_model

    def older(self, name, api_version=None):  # type: ignore[no-untyped-def]
        if name == "connectcampaignsv2":
            raise UnknownServiceError(service_name=name, known_service_names="connectcampaigns")
        return real(self, name, api_version)

    monkeypatch.setattr(botocore.session.Session, "get_service_model", older)
    V1Adapter()  # v1 does not need the v2 model
    with pytest.raises(ModelNotSupported, match=f"no connectcampaignsv2 model.*>= {BOTOCORE_FLOOR}"):
        constraints("v2")


def test_a_model_whose_shapes_changed_kind_means_not_supported_not_attribute_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    """Each shape is checked to be the kind dialkit reads (structure, list, map, enum) before it is read."""
    loader = botocore.session.get_session().get_component("data_loader")
    raw = json.loads(json.dumps(loader.load_service_model("connectcampaignsv2", "service-2")))
    # attributes become a plain string instead of a map of key -> value
    raw["shapes"]["TelephonyChannelSubtypeParameters"]["members"]["attributes"] = {"shape": "DestinationPhoneNumber"}
    folder = tmp_path / "data" / "connectcampaignsv2" / raw["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(raw).encode()))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "data"))
    with pytest.raises(
        ModelNotSupported,
        match=rf"string DestinationPhoneNumber where dialkit expects a MapShape "
        rf"\(attributes\): upgrade to botocore >= {BOTOCORE_FLOOR}",
    ):
        constraints("v2")
    constraints("v1")  # the other API's model is untouched


def _floor(text: str, name: str) -> tuple[int, ...]:
    """The version after ``name>=`` (pyproject) or ``name==`` (constraints), as a tuple without trailing zeros."""
    import re

    found = re.search(rf"^\s*\"?{name}\s*(?:>=|==)\s*([0-9.]+)", text, re.M)
    assert found, f"no floor for {name}"
    parts = [int(x) for x in found.group(1).split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_declared_floors_are_the_tested_floors() -> None:
    root = Path(__file__).resolve().parent.parent
    floor = (root / "constraints" / "floor.txt").read_text()
    pyproject = (root / "pyproject.toml").read_text()
    environment = (root / "environment.yml").read_text().replace("  - ", "")
    wanted = tuple(int(x) for x in BOTOCORE_FLOOR.split("."))
    for name in ("boto3", "botocore"):
        assert _floor(floor, name) == _floor(pyproject, name) == _floor(environment, name) == wanted, name
    for name in ("pandas", "phonenumbers", "pyarrow", "openpyxl"):
        assert _floor(floor, name) == _floor(pyproject, name), name
