#!/bin/sh
# Seed corpora for make fuzz, made from the repository rather than kept in
# it: DIR/seed-expr gets one PROGRAM NUL INPUT file per case of
# tests/fixtures/expr/, DIR/seed-jscan the cases' inputs and the lines of
# sample/app.jsonl.  Run from the top of the tree (make fuzz does).
set -eu

dir=${1:?usage: seeds.sh DIR}
rm -rf "$dir/seed-expr" "$dir/seed-jscan"
mkdir -p "$dir/seed-expr" "$dir/seed-jscan"

for f in tests/fixtures/expr/*.cases tests/fixtures/expr/deviations; do
	name=$(basename "$f" .cases)
	# EXPR<TAB>INPUT[<TAB>...]; # comments and blank lines
	grep -v '^#' "$f" | grep -v '^$' | {
		n=0
		while IFS='	' read -r prog input rest; do
			n=$((n + 1))
			printf '%s\000%s' "$prog" "$input" \
			    >"$dir/seed-expr/$name-$n"
			printf '%s' "$input" >"$dir/seed-jscan/$name-$n"
		done
	}
done
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$dir/seed-jscan/app-$n"
done <sample/app.jsonl
