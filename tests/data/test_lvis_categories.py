"""The LVIS v0.5 / v1 category tables and the builtin LVIS metadata built from them."""
import collections

import pytest

from detectra.data import MetadataCatalog
from detectra.data.datasets import lvis_v0_5_categories, lvis_v1_categories
from detectra.data.datasets._lvis_category_table import parse_lvis_category_table
from detectra.data.datasets.lvis import get_lvis_instances_meta
from detectra.data.datasets.lvis_v1_category_image_count import LVIS_CATEGORY_IMAGE_COUNT

FIELDS = {"id", "name", "synonyms", "synset", "def", "frequency"}  # Detectron2 drops image/instance counts


@pytest.mark.parametrize(
    "module, count, groups",
    [
        (lvis_v0_5_categories, 1230, {"r": 454, "c": 461, "f": 315}),
        (lvis_v1_categories, 1203, {"r": 337, "c": 461, "f": 405}),
    ],
)
def test_tables_are_complete(module, count, groups):
    cats = module.LVIS_CATEGORIES
    assert [c["id"] for c in cats] == list(range(1, count + 1))
    assert all(set(c) == FIELDS for c in cats)
    assert collections.Counter(c["frequency"] for c in cats) == groups
    assert len({c["synset"] for c in cats}) == count and len({c["name"] for c in cats}) == count
    assert all(c["synonyms"] and c["def"] for c in cats)


def test_known_v1_categories():
    cats = {c["id"]: c for c in lvis_v1_categories.LVIS_CATEGORIES}
    assert cats[1] == {"id": 1, "name": "aerosol_can", "synonyms": ["aerosol_can", "spray_can"],
                       "synset": "aerosol.n.02", "def": "a dispenser that holds a substance under pressure",
                       "frequency": "c"}  # fmt: skip
    assert cats[1203]["name"] == "zucchini" and cats[1203]["synonyms"] == ["zucchini", "courgette"]
    # the one v1 category whose name is not its first synonym
    assert cats[162]["name"] == "bull" and cats[162]["synonyms"] == ["horned_cow"]
    assert cats[24]["def"] == "a receptacle for the ash from smokers' cigars or cigarettes"


def test_known_v0_5_categories():
    cats = {c["id"]: c for c in lvis_v0_5_categories.LVIS_CATEGORIES}
    assert (cats[1]["name"], cats[1]["synset"], cats[1]["frequency"]) == ("acorn", "acorn.n.01", "r")
    assert cats[2]["synonyms"] == ["aerosol_can", "spray_can"]
    assert (cats[1230]["name"], cats[1226]["name"]) == ("zucchini", "yak")  # yak is in v0.5 only
    assert cats[708]["synonyms"] == ["monitor_(computer_equipment) computer_monitor"]


def test_v1_frequencies_follow_the_training_image_counts():
    # LVIS' groups: rare = 1-10 training images, common = 11-100, frequent = more
    def group(n):
        return "r" if n <= 10 else "c" if n <= 100 else "f"

    freqs = [c["frequency"] for c in lvis_v1_categories.LVIS_CATEGORIES]
    assert freqs == [group(c["image_count"]) for c in LVIS_CATEGORY_IMAGE_COUNT]


def test_builtin_metadata_without_the_json():
    v1 = get_lvis_instances_meta("lvis_v1_train")
    assert len(v1["thing_classes"]) == 1203 and v1["thing_classes"][:2] == ["aerosol_can", "air_conditioner"]
    assert v1["thing_classes"][161] == "horned_cow"  # first synonym, as Detectron2 names classes
    assert v1["class_image_count"] is LVIS_CATEGORY_IMAGE_COUNT
    v05 = get_lvis_instances_meta("lvis_v0.5_val")
    assert len(v05["thing_classes"]) == 1230 and v05["thing_classes"][0] == "acorn" and "class_image_count" not in v05
    assert len(get_lvis_instances_meta("lvis_v0.5_val_cocofied")["thing_classes"]) == 80
    # the registered builtin splits carry the classes before any json is read
    assert MetadataCatalog.get("lvis_v1_val").thing_classes[-1] == "zucchini"
    with pytest.raises(ValueError, match="neither 'v0.5' nor 'v1'"):
        get_lvis_instances_meta("lvis_v2_train")


def test_parse_table_line():
    (cat,) = parse_lvis_category_table("\n7 | f | ball.n.06 | ball | ball, sphere | a round object, for play\n")
    assert cat == {"id": 7, "name": "ball", "synonyms": ["ball", "sphere"], "synset": "ball.n.06",
                   "def": "a round object, for play", "frequency": "f"}  # fmt: skip
