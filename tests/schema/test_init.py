"""nivostack_models: all 39 tables, each in the module of the service that owns it."""

from __future__ import annotations

from pathlib import Path

import yaml

from nivostack_models import Base, metadata

SERVICES = Path(__file__).resolve().parents[2] / "policies" / "services.yaml"


def test_metadata_holds_all_39_prisma_models():
    assert len(metadata.tables) == 39


def test_each_model_lives_in_the_module_of_its_owner_service():
    owners = yaml.safe_load(SERVICES.read_text())["owners"]
    modules = {
        mapper.local_table.name: mapper.class_.__module__.rsplit(".", 1)[-1]
        for mapper in Base.registry.mappers
    }

    assert modules == owners
