"""Values <-> JSON payloads, decoded by type hints."""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import Any

import orjson
import pydantic
import pytest

from goblins import converter
from goblins.errors import SerializationError


@dataclasses.dataclass
class Line:
    sku: str
    quantity: int


@dataclasses.dataclass
class Order:
    order_id: str
    lines: list[Line]


class Customer(pydantic.BaseModel):
    name: str
    vip: bool = False


def take(order: Order, customer: Customer, note: str, count: int = 1) -> Order:
    return order


def untyped(a, b):  # type: ignore[no-untyped-def]
    return a


def variadic(first: int, *rest: Line) -> None:
    pass


def test_json_values_round_trip() -> None:
    value = {"a": [1, 2.5, None, True, "x"], "b": {"c": []}}
    assert converter.decode(converter.encode(value)) == value


def test_dataclass_and_pydantic_encode_as_json_objects() -> None:
    order = Order("A-1", [Line("apple", 3)])
    assert orjson.loads(converter.encode(order)) == {"order_id": "A-1", "lines": [{"sku": "apple", "quantity": 3}]}
    assert orjson.loads(converter.encode(Customer(name="ada"))) == {"name": "ada", "vip": False}


def test_tuples_and_sets_encode_as_arrays() -> None:
    assert orjson.loads(converter.encode((1, 2))) == [1, 2]
    assert orjson.loads(converter.encode({3})) == [3]


def test_decode_to_hints() -> None:
    data = converter.encode(Order("A-1", [Line("apple", 3)]))
    decoded = converter.decode(data, Order)
    assert decoded == Order("A-1", [Line("apple", 3)])
    assert isinstance(decoded.lines[0], Line)
    assert converter.decode(converter.encode(Customer(name="bo", vip=True)), Customer) == Customer(name="bo", vip=True)
    assert converter.decode(b"[1, 2]", list[int]) == [1, 2]
    assert converter.decode(b'{"x": 1}') == {"x": 1}
    assert converter.decode(b"") is None


def test_decode_mismatch_is_a_serialization_error_naming_the_type() -> None:
    with pytest.raises(SerializationError, match="Line"):
        converter.decode(b'{"sku": 1}', Line)


def test_encode_args_and_decode_args_by_annotation() -> None:
    args = [Order("A-1", [Line("pear", 2)]), Customer(name="ada"), "hi"]
    data = converter.encode_args(args, "activity 'take'")
    assert orjson.loads(data)[2] == "hi"
    order, customer, note = converter.decode_args(data, take)
    assert isinstance(order, Order) and isinstance(order.lines[0], Line)
    assert customer == Customer(name="ada")
    assert note == "hi"


def test_decode_args_without_function_or_annotations_keeps_json() -> None:
    data = converter.encode_args([{"sku": "a", "quantity": 1}, 2], "x")
    assert converter.decode_args(data, None) == [{"sku": "a", "quantity": 1}, 2]
    assert converter.decode_args(data, untyped) == [{"sku": "a", "quantity": 1}, 2]
    assert converter.decode_args(b"", None) == []


def test_decode_args_variadic_uses_the_star_annotation() -> None:
    data = converter.encode_args([1, Line("a", 1), Line("b", 2)], "x")
    first, *rest = converter.decode_args(data, variadic)
    assert first == 1 and rest == [Line("a", 1), Line("b", 2)]


def test_decode_args_refuses_a_non_array() -> None:
    with pytest.raises(SerializationError, match="not a JSON array"):
        converter.decode_args(b'{"a": 1}', None)


def test_encode_error_names_the_argument_and_its_type() -> None:
    with pytest.raises(SerializationError) as info:
        converter.encode_args(["fine", object()], "activity 'greet'")
    message = str(info.value)
    assert "activity 'greet'" in message
    assert "argument 2 (object)" in message
    assert "cannot be serialized" in message


def test_nested_unserializable_value_is_refused() -> None:
    with pytest.raises(SerializationError, match="argument 1 \\(dict\\)"):
        converter.encode_args([{"when": datetime.timedelta(1)}], "x")


def test_serialization_error_is_a_goblins_error_and_a_type_error() -> None:
    import goblins

    with pytest.raises(goblins.GoblinsError):
        converter.encode(object())
    with pytest.raises(TypeError):
        converter.encode(object())


def test_param_hints_gives_return_type() -> None:
    params, ret = converter.param_hints(take)
    assert params == [Order, Customer, str, int]
    assert ret is Order
    assert converter.param_hints(untyped) == ([Any, Any], Any)


@pytest.mark.parametrize("value", [math.nan, math.inf, [1.0, -math.inf], {"a": {"b": math.nan}}, (None, math.nan)])
def test_nan_and_infinity_are_refused_not_turned_into_null(value: object) -> None:
    with pytest.raises(SerializationError, match="JSON has no NaN or infinity"):
        converter.encode(value, "activity 'x' result")


def test_nan_inside_a_dataclass_is_refused_and_null_still_encodes() -> None:
    @dataclasses.dataclass
    class Point:
        x: float
        y: float | None

    with pytest.raises(SerializationError, match="nan"):
        converter.encode(Point(math.nan, None))
    assert converter.encode(Point(1.0, None)) == b'{"x":1.0,"y":null}'
