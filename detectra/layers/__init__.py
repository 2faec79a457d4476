from .shape_spec import ShapeSpec
