"""`detectra validate-data` and `visualize-data` as a new user reads them: what was checked when nothing is wrong,
which image file a problem is in, and drawings in the input's own format."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from detectra.cli import main


def _counts(json_file) -> tuple[int, int]:
    data = json.loads(json_file.read_text())
    return len(data["images"]), len(data["annotations"])


def test_validate_data_says_what_it_checked_when_nothing_is_wrong(tiny_shapes, capsys):
    json_file, images = tiny_shapes["val_json"], tiny_shapes["val_images"]
    num_images, num_annotations = _counts(json_file)
    assert main(["validate-data", "--json", str(json_file), "--images", str(images)]) == 0
    assert capsys.readouterr().out == \
        f"Checked {num_images} images, {num_annotations} annotations in {json_file}: no problems.\n"
    assert main(["validate-data", "--json", str(json_file), "--images", str(images), "--no-decode"]) == 0
    assert f"Checked {num_images} images (headers only: --no-decode), {num_annotations} annotations" in \
        capsys.readouterr().out
    # a registered dataset: its name and the json behind it
    assert main(["validate-data", "--train-json", str(json_file), "--train-images", str(images)]) == 0
    assert f"annotations in custom_train ({json_file}): no problems." in capsys.readouterr().out


def test_validate_data_box_problems_name_the_image_file(tiny_shapes, tmp_path, capsys):
    data = json.loads(tiny_shapes["val_json"].read_text())
    image = data["images"][1]
    ann = next(a for a in data["annotations"] if a["image_id"] == image["id"])
    ann["bbox"] = [5, 5, 0, 10]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["validate-data", "--json", str(bad), "--images", str(tiny_shapes["val_images"])]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"Checked {len(data['images'])} images, {len(data['annotations'])} annotations in {bad}: "
                          "1 problem(s)")  # fmt: skip
    line = next(x for x in out.splitlines() if "[empty_box]" in x)
    assert f"[empty_box] image {image['id']} '{image['file_name']}', annotation {ann['id']}: bbox [5, 5, 0, 10]" in line
    assert "Fix: a COCO bbox is [x, y, width, height]" in line


def test_validate_data_unreadable_json_does_not_claim_a_check(tmp_path, capsys):
    cut = tmp_path / "cut.json"
    cut.write_text('{"images": [')
    assert main(["validate-data", "--json", str(cut), "--images", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{cut}: 1 problem(s)") and "Checked" not in out


def test_visualize_data_keeps_the_input_format_and_lists_what_it_wrote(tiny_shapes, tmp_path, capsys):
    """JPEG inputs give JPEG drawings (at quality 95, not PIL's blurry default of 75), PNG inputs PNG drawings, and
    the names printed are the files written."""
    images = tmp_path / "images"
    images.mkdir()
    data = json.loads(tiny_shapes["val_json"].read_text())
    for k, record in enumerate(data["images"]):
        source = tiny_shapes["val_images"] / record["file_name"]
        if k == 0:  # one PNG among the JPEGs
            record["file_name"] = "first.png"
        Image.open(source).save(images / record["file_name"])
    json_file = tmp_path / "val.json"
    json_file.write_text(json.dumps(data))
    out = tmp_path / "vis"
    assert main(["visualize-data", "--train-json", str(json_file), "--train-images", str(images), "-o", str(out),
                 "--num", "3"]) == 0  # fmt: skip
    names = [r["file_name"] for r in data["images"][:3]]
    assert names[0] == "first.png" and all(n.endswith(".jpg") for n in names[1:])
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert capsys.readouterr().out == f"3 images written to {out}/: {', '.join(names)}\n"
    drawn = Image.open(out / names[1])
    reference = tmp_path / "q95.jpg"
    Image.fromarray(np.asarray(drawn)).save(reference, quality=95)
    assert drawn.format == "JPEG" and drawn.quantization == Image.open(reference).quantization
    assert Image.open(out / names[0]).format == "PNG"


def test_visualize_data_draws_the_val_json_it_was_given(tiny_shapes, tmp_path, capsys):
    """Only --val-json / --val-images: their images are drawn (it used to draw the config's training set, generating
    the shapes dataset on the way); --source dataloader, which draws the training loader, says what it needs."""
    val = json.loads(tiny_shapes["val_json"].read_text())
    out = tmp_path / "vis"
    argv = ["visualize-data", "--val-json", str(tiny_shapes["val_json"]), "--val-images", str(tiny_shapes["val_images"]),
            "-o", str(out), "--num", "2"]  # fmt: skip
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(r["file_name"] for r in val["images"][:2])
    capsys.readouterr()
    assert main([*argv, "--source", "dataloader"]) == 1
    err = capsys.readouterr().err
    assert "--source dataloader draws the training loader's inputs: pass the training data" in err


def test_validate_data_names_the_file_a_format_dataset_was_read_from(shared_dir, capsys):
    """A dataset registered from another format (here car_damage's VGG Image Annotator json) is named with its file."""
    via = shared_dir / "datasets" / "car_damage" / "val" / "via_region_data.json"
    assert main(["validate-data", "--train-via", str(via), "--no-decode"]) == 0
    assert f"annotations in custom_train ({via}): no problems." in capsys.readouterr().out


def test_counts_are_singular_for_one():
    from detectra.cli.validate_data import checked_line
    from detectra.cli.visualize_data import written_line
    from detectra.data.validate import DatasetProblems

    problems = DatasetProblems()
    problems.num_images, problems.num_annotations = 1, 1
    assert checked_line("a.json", problems) == "Checked 1 image, 1 annotation in a.json: no problems."
    assert written_line(["a.jpg"], "/out") == "1 image written to /out/: a.jpg"
