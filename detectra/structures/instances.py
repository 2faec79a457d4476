"""`Instances`: per-image predictions or annotations as named fields of equal length."""
import itertools
from typing import Any, Dict, List, Tuple, Union

import torch

from detectra.layers.wrappers import known_true

__all__ = ["Instances"]


class Instances:
    """A list of instances in one image, stored as fields that all have the same length N.

    Fields can be any type with `__len__` and `__getitem__` (Tensor, `Boxes`, `BitMasks`, lists, ...).
    They are read and written as attributes (``instances.gt_boxes = Boxes(...)``) or via `set`/`get`.
    Indexing (int, slice, bool mask, index tensor) indexes every field and returns a new `Instances`.
    """

    def __init__(self, image_size: Tuple[int, int], **kwargs: Any):
        """
        Args:
            image_size: (height, width) of the image.
            kwargs: fields to add.
        """
        self._image_size = image_size
        self._fields: Dict[str, Any] = {}
        for k, v in kwargs.items():
            self.set(k, v)

    @property
    def image_size(self) -> Tuple[int, int]:
        """(height, width)."""
        return self._image_size

    def __setattr__(self, name: str, val: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, val)
        else:
            self.set(name, val)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails; guard "_fields" so unpickling / copying does not recurse
        if name == "_fields" or name not in self._fields:
            raise AttributeError(f"Cannot find field '{name}' in the given Instances!")
        return self._fields[name]

    def set(self, name: str, value: Any) -> None:
        """Set field `name` to `value`, whose length must match the other fields'."""
        data_len = value.__len__()  # not len(): while exporting the length is a traced or symbolic size
        if len(self._fields):
            if known_true(self.__len__() != data_len):
                raise ValueError(
                    f"Adding a field '{name}' of length {data_len} to an Instances of length {len(self)}; "
                    "every field of an Instances must have the same length."
                )
        self._fields[name] = value

    def has(self, name: str) -> bool:
        return name in self._fields

    def remove(self, name: str) -> None:
        del self._fields[name]

    def get(self, name: str) -> Any:
        return self._fields[name]

    def get_fields(self) -> Dict[str, Any]:
        """Returns the dict of fields (the live dict: modifying it modifies the Instances)."""
        return self._fields

    def to(self, *args: Any, **kwargs: Any) -> "Instances":
        """Returns an Instances with every field that has a `to` method moved/cast (e.g. to a device)."""
        ret = Instances(self._image_size)
        for k, v in self._fields.items():
            if hasattr(v, "to"):
                v = v.to(*args, **kwargs)
            ret.set(k, v)
        return ret

    def __getitem__(self, item: Union[int, slice, torch.BoolTensor, torch.Tensor]) -> "Instances":
        if type(item) == int:  # noqa: E721 (bool is an int subclass and must not take this path)
            if item >= len(self) or item < -len(self):
                raise IndexError(f"Instances index {item} out of range for length {len(self)}.")
            item = slice(item, None, len(self))
        ret = Instances(self._image_size)
        for k, v in self._fields.items():
            if isinstance(v, list) and isinstance(item, torch.Tensor):
                # plain lists cannot take a mask / index tensor; select element by element
                idx = item.nonzero().squeeze(1) if item.dtype == torch.bool else item.reshape(-1)
                ret.set(k, [v[i] for i in idx.tolist()])
            else:
                ret.set(k, v[item])
        return ret

    def __len__(self) -> int:
        for v in self._fields.values():
            # use __len__ because len() has to be an int and is not friendly to tracing
            return v.__len__()
        raise NotImplementedError("Empty Instances does not support __len__!")

    def __iter__(self):
        raise NotImplementedError("`Instances` object is not iterable!")

    @staticmethod
    def cat(instance_lists: List["Instances"]) -> "Instances":
        """Concatenate Instances of the same image size and the same fields.

        Tensors are `torch.cat`-ed, lists are chained, other types use their own `cat` classmethod.
        """
        if not all(isinstance(i, Instances) for i in instance_lists):
            raise TypeError("Instances.cat expects a list of Instances.")
        if len(instance_lists) == 0:
            raise ValueError("Instances.cat got an empty list; there is nothing to concatenate.")
        if len(instance_lists) == 1:
            return instance_lists[0]

        image_size = instance_lists[0].image_size
        if not isinstance(image_size, torch.Tensor):  # could be a tensor when tracing
            for i in instance_lists[1:]:
                if i.image_size != image_size:
                    raise ValueError(
                        f"Instances.cat: image sizes differ ({image_size} vs {i.image_size}); "
                        "only instances of the same image can be concatenated."
                    )
        ret = Instances(image_size)
        for k in instance_lists[0]._fields.keys():
            values = [i.get(k) for i in instance_lists]
            v0 = values[0]
            if isinstance(v0, torch.Tensor):
                values = torch.cat(values, dim=0)
            elif isinstance(v0, list):
                values = list(itertools.chain(*values))
            elif hasattr(type(v0), "cat"):
                values = type(v0).cat(values)
            else:
                raise ValueError(f"Instances.cat: field '{k}' has type {type(v0)}, which does not support concatenation.")
            ret.set(k, values)
        return ret

    def __str__(self) -> str:
        s = self.__class__.__name__ + "("
        s += f"num_instances={len(self) if self._fields else 0}, "
        s += f"image_height={self._image_size[0]}, "
        s += f"image_width={self._image_size[1]}, "
        s += "fields=[{}])".format(", ".join(f"{k}: {v}" for k, v in self._fields.items()))
        return s

    __repr__ = __str__
