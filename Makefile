# The verbs of goblins development. `make server` and `make test` work on a fresh machine.
PY ?= python3

.PHONY: install server test lint mypy format unit proto bench

install:
	$(PY) -m pip install -q -e '.[dev,distributed]'

server: install
	goblins server

test:
	scripts/test

lint:
	ruff check goblins tests examples benchmarks
	ruff format --check goblins tests examples benchmarks

format:
	ruff format goblins tests examples benchmarks
	ruff check --fix goblins tests examples benchmarks

mypy:
	mypy goblins

unit:
	$(PY) -m pytest tests/unit -q

proto:
	scripts/gen-proto

bench: install
	python -m benchmarks
