"""The domain's frozen records: `record`, a frozen dataclass at a third of its construction
cost, and `replace`, what `dataclasses.replace` does at a third of its cost.

Every rule makes its new state by replacing fields of immutable records (an `incident.create`
replaces twice, a dispatch several times), and start-up builds one record per stored row
(65,000 at 10k incidents). A frozen dataclass's `__init__` stores each field through
`object.__setattr__`, found by name on every call: 2 µs for an eight-field log entry where a
mutable one takes 0.2. `record` keeps the class frozen (assignment still raises) and gives it
an `__init__` that stores each field through its slot's own descriptor (0.6 µs). `replace`
reads every field in one C call and passes them to the class, so its `__init__` and
`__post_init__` run exactly as they would in `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from inspect import signature
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_FACTORY = object()  # a parameter left to its default factory

Reader = tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]
_READERS: dict[type, Reader] = {}


def _reader(kind: type) -> Reader:
    # Fields made by __init__ only, as dataclasses.replace passes them (init=False ones are derived).
    names = tuple(f.name for f in fields(kind) if f.init)
    get = attrgetter(*names) if len(names) > 1 else (lambda record: (getattr(record, names[0]),))
    _READERS[kind] = names, get
    return names, get


def replace(record: T, /, **changes: Any) -> T:
    kind = type(record)
    names, get = _READERS.get(kind) or _reader(kind)
    values = dict(zip(names, get(record), strict=True))
    values.update(changes)
    return kind(**values)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))  # type checkers see a frozen dataclass
def record(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, slots=True)` with the faster `__init__` (the module's docstring).
    The same parameters, defaults, factories and `__post_init__`; a class this does not cover
    (keyword-only fields, init-only variables) is refused, not half-built."""
    kind: Any = dataclass(frozen=True, slots=True)(cls)
    params, body, names = [], [], {"_FACTORY": _FACTORY}
    for f in fields(kind):
        if f.kw_only:
            raise TypeError(f"record {kind.__name__}: keyword-only field {f.name} is not supported")
        names[f"_set_{f.name}"] = getattr(kind, f.name).__set__  # the slot's member descriptor
        factory = f.default_factory is not MISSING
        if factory:
            names[f"_make_{f.name}"] = f.default_factory
        if f.init:
            if f.default is not MISSING:
                names[f"_default_{f.name}"] = f.default
                params.append(f"{f.name}=_default_{f.name}")
            elif factory:
                params.append(f"{f.name}=_FACTORY")
                body.append(f"    if {f.name} is _FACTORY: {f.name} = _make_{f.name}()")
            else:
                params.append(f.name)
            body.append(f"    _set_{f.name}(self, {f.name})")
        elif f.default is not MISSING:
            names[f"_default_{f.name}"] = f.default
            body.append(f"    _set_{f.name}(self, _default_{f.name})")
        elif factory:
            body.append(f"    _set_{f.name}(self, _make_{f.name}())")
    stock = list(signature(kind.__init__).parameters)[1:]
    if stock != [f.name for f in fields(kind) if f.init]:  # init-only variables
        raise TypeError(f"record {kind.__name__}: parameters other than its fields are not supported")
    if hasattr(kind, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    exec(source, names)  # built above from the class's own field names, as dataclasses does
    init = names["__init__"]
    init.__qualname__ = f"{kind.__qualname__}.__init__"
    kind.__init__ = init
    return kind  # type: ignore[no-any-return]
