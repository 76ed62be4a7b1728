#!/usr/bin/env bats
# mlog-check: clean logs, every kind of damage (built by writing bytes at
# computed positions), torn tails, --repair, --quick, one random bit flipped
# in each of 200 copies of a log, and a check beside a running appender.

load test_helper

S0=00000000000000000000

# seg N: the 20-digit name of the segment whose base is N.
seg() {
	printf '%020d' "$1"
}

# xor FILE POS MASK: flip the bits MASK of the byte at POS.
xor() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ $3)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# put FILE POS BYTES VALUE: VALUE as a little-endian integer of BYTES bytes.
put() {
	local s= b i
	for ((i = 0; i < $3; i++)); do
		printf -v b '\\%03o' $((($4 >> (8 * i)) & 255))
		s=$s$b
	done
	printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# at LOG PARTITION OFFSET: "SEGMENT POS LEN" of a record (seg-map).
at() {
	seg-map "$1" | awk -v p="$2" -v o="$3" '$1 == p && $5 == o { print $2, $3, $4 }'
}

# pos LOG PARTITION OFFSET: the byte position of a record in its segment.
pos() {
	at "$@" | cut -d' ' -f2
}

# seq300 LOG: 300 records "1".."300", ten segments of 1K in one partition:
# bases 0 32 64 96 127 158 189 220 251 282; offset N holds N + 1.
seq300() {
	seq 1 300 | mlog-append -s 1K "$1"
}

# keyed LOG: 200 records with keys, every fifth value null, in 4 partitions
# of 1K segments, through -J envelopes.
keyed() {
	local i
	for ((i = 0; i < 200; i++)); do
		if ((i % 5 == 0)); then
			printf '{"partition":%d,"key":"user%d","value":null}\n' $((i % 4)) "$i"
		else
			printf '{"partition":%d,"key":"user%d","value":"{\\"n\\":%d}"}\n' $((i % 4)) "$i" "$i"
		fi
	done | mlog-append -J -P 4 -s 1K "$1"
}

# summary LOG: the summary line of a clean check of LOG.
summary() {
	local parts segs recs bytes
	parts=$(ls -d "$1"/p* | wc -l)
	segs=$(ls "$1"/p*/*.log 2>/dev/null | wc -l)
	recs=$(mlog-tail -e "$1" | wc -l)
	bytes=$(cat "$1"/p*/*.log 2>/dev/null | wc -c)
	echo "$1: $parts partition$( ((parts == 1)) || echo s), $segs segment$( ((segs == 1)) || echo s), $recs record$( ((recs == 1)) || echo s), $bytes byte$( ((bytes == 1)) || echo s) checked: 0 problems, 0 notices"
}

# ---------------------------------------------------------------- clean logs

@test "mlog-check: a clean log of one partition and ten segments checks clean" {
	seq300 L
	run mlog-check L
	assert_success
	assert_output 'L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 0 problems, 0 notices'
	assert_output "$(summary L)"
}

@test "mlog-check: a clean log of four partitions with keys and null values checks clean" {
	keyed L
	[ "$(ls L/p1/*.log | wc -l)" -gt 2 ]
	run mlog-check L
	assert_success
	assert_output "$(summary L)"
	assert_output 'L: 4 partitions, 12 segments, 200 records, 8730 bytes checked: 0 problems, 0 notices'
}

@test "mlog-check: indexes with entries check clean, as do logs written in many batches" {
	seq 1 3000 | mlog-append -s 16K L
	for i in 1 2 3; do seq 1 100 | mlog-append L; done
	[ "$(stat -c %s L/p0/$S0.idx)" -gt 16 ]
	run mlog-check L
	assert_success
	assert_output "$(summary L)"
}

@test "mlog-check: an empty log checks clean" {
	mlog-append L </dev/null
	run mlog-check L
	assert_success
	assert_output 'L: 1 partition, 0 segments, 0 records, 0 bytes checked: 0 problems, 0 notices'
	mlog-append -P 3 M </dev/null
	run mlog-check M
	assert_success
	assert_output 'M: 3 partitions, 0 segments, 0 records, 0 bytes checked: 0 problems, 0 notices'
}

@test "mlog-check: -q prints problems only: nothing for a clean log" {
	seq300 L
	touch L/p0/stray
	run mlog-check -q L
	assert_success
	assert_output ''
	run mlog-check --quiet L
	assert_output ''
	xor L/p0/$(seg 32).log $(($(pos L 0 40) + 30)) 1
	run mlog-check -q L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offset 40 (byte 272): CRC mismatch"
}

# ---------------------------------------------------------------- usage

@test "mlog-check: -h prints the help and exits 0" {
	run mlog-check -h
	assert_success
	assert_line -n 0 'usage: mlog-check [-hQqr] log'
	assert_output --partial '--repair'
	run mlog-check --help
	assert_success
	assert_line -n 0 'usage: mlog-check [-hQqr] log'
}

@test "mlog-check: no log, two logs and unknown options are usage errors" {
	seq300 L
	run mlog-check
	assert_failure 2
	assert_output 'usage: mlog-check [-hQqr] log'
	run mlog-check L L
	assert_failure 2
	assert_output 'usage: mlog-check [-hQqr] log'
	run mlog-check -x L
	assert_failure 2
	assert_output $'mlog-check: invalid option -- \'x\'\nusage: mlog-check [-hQqr] log'
	run mlog-check --bogus L
	assert_failure 2
	assert_output $'mlog-check: unrecognized option \'--bogus\'\nusage: mlog-check [-hQqr] log'
}

@test "mlog-check: a directory that is not a log, or none, is an error" {
	mkdir D
	run mlog-check D
	assert_failure 1
	assert_output 'mlog-check: D: not an mlog log'
	run mlog-check nope
	assert_failure 1
	assert_output 'mlog-check: nope: No such file or directory'
}

@test "mlog-check: a failed write to stdout is an error" {
	seq300 L
	run sh -c 'mlog-check L >/dev/full'
	assert_failure 1
	assert_output 'mlog-check: stdout: No space left on device'
}

@test "mlog-check: an unreadable segment is a runtime error naming it" {
	[ "$(id -u)" != 0 ] || skip "root reads everything"
	seq300 L
	chmod 000 L/p0/$(seg 64).log
	run mlog-check L
	assert_failure 1
	assert_output "mlog-check: L: partition 0: $(seg 64).log: Permission denied"
}

# ---------------------------------------------------------------- records

@test "mlog-check: a flipped bit in a key, a value or a timestamp is a CRC mismatch" {
	printf 'key%d value%d\n' 1 1 2 2 3 3 4 4 | mlog-append -K ' ' K
	cp -r K A
	p=$(pos K 0 1)
	xor A/p0/$S0.log $((p + 30)) 4
	run mlog-check A
	assert_failure 1
	assert_output "A: partition 0: $S0.log: offset 1 (byte $p): CRC mismatch
A: 1 partition, 1 segment, 3 records, 180 bytes checked: 1 problem, 0 notices"
	rm -rf A
	cp -r K A
	p=$(pos K 0 2)
	xor A/p0/$S0.log $((p + 35)) 1
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $S0.log: offset 2 (byte $p): CRC mismatch"
	rm -rf A
	cp -r K A
	p=$(pos K 0 3)
	xor A/p0/$S0.log $((p + 18)) 128
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $S0.log: offset 3 (byte $p): CRC mismatch"
	assert_equal "${#lines[@]}" 2
}

@test "mlog-check: damaged attributes are bad attributes, or a CRC mismatch when they still parse" {
	seq300 L
	p=$(pos L 0 40)
	xor L/p0/$(seg 32).log $((p + 24)) 4
	run mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $(seg 32).log: offset 40 (byte $p): bad attributes (0x04)"
	xor L/p0/$(seg 32).log $((p + 24)) 5
	run mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $(seg 32).log: offset 40 (byte $p): CRC mismatch"
	xor L/p0/$(seg 32).log $((p + 24)) 1
	xor L/p0/$(seg 32).log $((p + 26)) 1
	run mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $(seg 32).log: offset 40 (byte $p): bad key length (256)"
	assert_equal "${#lines[@]}" 2
}

@test "mlog-check: a length too big or too small is a bad length, and the records after it are found again" {
	seq300 L
	cp -r L A
	p=$(pos L 0 40)
	put A/p0/$(seg 32).log "$p" 4 60
	run mlog-check A
	assert_failure 1
	assert_output "A: partition 0: $(seg 32).log: offset 40 (byte $p): bad length (reads 60, expected 27)
A: 1 partition, 10 segments, 299 records, 9732 bytes checked: 1 problem, 0 notices"
	put A/p0/$(seg 32).log "$p" 4 26
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $(seg 32).log: offset 40 (byte $p): bad length (reads 26, expected 27)"
	put A/p0/$(seg 32).log "$p" 4 3
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $(seg 32).log: offset 40 (byte $p): bad length (reads 3, expected 27)"
	put A/p0/$(seg 32).log "$p" 4 4000000000
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $(seg 32).log: offset 40 (byte $p): bad length (reads 4000000000, expected 27)"
	assert_equal "${#lines[@]}" 2
}

@test "mlog-check: several damaged records in a row are named as one range" {
	seq300 L
	p=$(pos L 0 40)
	dd if=/dev/zero of=L/p0/$(seg 32).log bs=1 seek=$((p + 5)) count=80 conv=notrunc 2>/dev/null
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offsets 40..42 (byte $p): CRC mismatch
L: 1 partition, 10 segments, 297 records, 9732 bytes checked: 1 problem, 0 notices"
}

@test "mlog-check: a damaged offset field is named with what it reads" {
	seq300 L
	p=$(pos L 0 40)
	put L/p0/$(seg 32).log $((p + 4)) 8 4136
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offset 40 (byte $p): offset field reads 4136
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 1 problem, 0 notices"
	# the last record of a segment, of the log, and the first of a segment
	put L/p0/$(seg 32).log $((p + 4)) 8 40
	p63=$(pos L 0 63)
	put L/p0/$(seg 32).log $((p63 + 4)) 8 62
	p=$(pos L 0 299)
	put L/p0/$(seg 282).log $((p + 4)) 8 0
	put L/p0/$(seg 64).log 28 8 65
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offset 63 (byte $p63): offset field reads 62
L: partition 0: $(seg 64).log: offset 64 (byte 24): offset field reads 65
L: partition 0: $(seg 282).log: offset 299 (byte $p): offset field reads 0
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 3 problems, 0 notices"
}

@test "mlog-check: offsets missing within a segment and offsets going backwards" {
	local -a P
	seq300 L
	# the positions of the records of segment 32, read once
	while read -r o p; do
		P[o]=$p
	done < <(seg-map L | awk '$1 == 0 && $2 == "'"$(seg 32)"'.log" { print $5, $3 }')
	cp -r L A
	for o in 40 41 42 43; do
		p=${P[o]}
		put A/p0/$(seg 32).log $((p + 4)) 8 $((o + 20))
	done
	# a run of damaged fields: two lines, not one per record
	run mlog-check A
	assert_failure 1
	assert_output "A: partition 0: $(seg 32).log: offsets 40..59 (byte 272): missing (the next record has offset 60)
A: partition 0: $(seg 32).log: offset 44 (byte 396): offset went backwards (expected 64)
A: 1 partition, 10 segments, 300 records, 9732 bytes checked: 2 problems, 0 notices"
	rm -rf A
	cp -r L A
	for ((o = 40; o < 64; o++)); do
		put A/p0/$(seg 32).log $((${P[o]} + 4)) 8 $((o + 3))
	done
	run mlog-check A
	assert_failure 1
	assert_output "A: partition 0: $(seg 32).log: offsets 40..42 (byte ${P[40]}): missing (the next record has offset 43)
A: partition 0: $(seg 32).log: offsets 64..66: also in the next segment ($(seg 64).log)
A: 1 partition, 10 segments, 300 records, 9732 bytes checked: 2 problems, 0 notices"
	rm -rf A
	cp -r L A
	for ((o = 40; o < 64; o++)); do
		put A/p0/$(seg 32).log $((${P[o]} + 4)) 8 $((o - 2))
	done
	run mlog-check A
	assert_failure 1
	assert_output "A: partition 0: $(seg 32).log: offset 38 (byte ${P[40]}): offset went backwards (expected 40)
A: partition 0: $(seg 32).log: offsets 62..63: missing: the next segment begins at offset 64
A: 1 partition, 10 segments, 300 records, 9732 bytes checked: 2 problems, 0 notices"
}

@test "mlog-check: a segment missing between two others leaves its offsets missing" {
	seq300 L
	rm L/p0/$(seg 96).log L/p0/$(seg 96).idx
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $(seg 64).log: offsets 96..126: missing: the next segment begins at offset 127
L: 1 partition, 9 segments, 269 records, 8719 bytes checked: 1 problem, 0 notices"
}

@test "mlog-check: a timestamp outside the years 0000 to 9999 is out of range" {
	printf '{"timestamp":%s,"value":"x"}\n' 1 253402300799999999 1 -62167219200000000 1 |
		mlog-append -J L
	# what mlog-append refuses to store
	rec-poke L/p0/$S0.log 84 253402300800000000
	rec-poke L/p0/$S0.log 144 -62167219200000001
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $S0.log: offset 2 (byte 84): timestamp 253402300800000000 out of range
L: partition 0: $S0.log: offset 4 (byte 144): timestamp -62167219200000001 out of range
L: 1 partition, 1 segment, 5 records, 174 bytes checked: 2 problems, 0 notices"
}

@test "mlog-check: a damaged segment header names its magic or its base" {
	seq300 L
	xor L/p0/$(seg 32).log 3 2
	run mlog-check L
	assert_failure 1
	assert_output 'L: partition 0: 00000000000000000032.log: byte 0: bad segment header: magic reads "mloeseg1"
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 1 problem, 0 notices'
	printf '\001\377XYZ' | dd of=L/p0/$(seg 64).log bs=1 seek=2 conv=notrunc 2>/dev/null
	put L/p0/$(seg 64).log 8 8 65
	run mlog-check L
	assert_failure 1
	assert_line -n 1 'L: partition 0: 00000000000000000064.log: byte 0: bad segment header: magic reads "ml\x01\xffXYZ1", base reads 65'
	assert_equal "${#lines[@]}" 3
}

# ---------------------------------------------------------------- indexes

@test "mlog-check: a damaged index header, size or entry is reported with the entry and what it reads" {
	seq 1 3000 | mlog-append -s 16K L
	I=L/p0/$S0.idx
	[ "$(stat -c %s $I)" = 64 ]
	cp $I idx
	xor $I 2 1
	run mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $S0.idx: byte 0: bad index header (magic)"
	cp idx $I
	put $I 8 8 7
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 0: bad index header (base reads 7)"
	truncate -s 10 $I
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 0: bad index header (10 bytes)"
	cp idx $I
	printf 'abc' >>$I
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 64: partial index entry (3 bytes)"
	cp idx $I
	xor $I 32 1
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 32: index entry 1 reads offset 261, expected 260"
	cp idx $I
	xor $I 36 1
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 32: index entry 1 points at byte 8237, expected 8236"
	cp idx $I
	maxts=$(od -An -td8 -j 40 -N 8 $I | tr -d ' ')
	put $I 40 8 $((maxts - 1))
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 32: index entry 1 reads timestamp bound $((maxts - 1)), expected $maxts"
	cp idx $I
	dd if=idx bs=16 skip=1 count=1 2>/dev/null >>$I
	run mlog-check -q L
	assert_output "L: partition 0: $S0.idx: byte 64: index entry 3 points at byte 4140, where no entry is due"
	cp idx $I
	truncate -s 32 $I
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $S0.idx: the index lacks its last 2 entries
$(summary L | sed 's/0 problems/1 problem/')"
	cp idx $I
	run mlog-check L
	assert_success
}

@test "mlog-check: many damaged index entries take two lines" {
	seq 1 3000 | mlog-append -s 16K L
	I=L/p0/$S0.idx
	put $I 16 4 7
	put $I 32 4 7
	put $I 48 4 7
	run mlog-check -q L
	assert_failure 1
	assert_output "L: partition 0: $S0.idx: byte 16: index entry 0 reads offset 7, expected 132
L: partition 0: $S0.idx: 2 more index entries differ from the segment"
}

@test "mlog-check: a missing index, or entries missing at the end of the last one, are only notices" {
	seq 1 3000 | mlog-append -s 16K L
	rm L/p0/$S0.idx
	last=$(ls L/p0/*.idx | tail -1)
	truncate -s 16 "$last"
	run mlog-check L
	assert_success
	assert_output "L: partition 0: $S0.idx: notice: no index (readers rebuild it)
L: partition 0: ${last##*/}: notice: the index lacks its last 3 entries (the next mlog-append adds them)
$(summary L | sed 's/0 notices/2 notices/')"
	cp ${last%.idx}.log keep
	seq 1 10 | mlog-append L
	run mlog-check L
	assert_success
	assert_line -n 0 "L: partition 0: $S0.idx: notice: no index (readers rebuild it)"
	assert_equal "${#lines[@]}" 2
}

@test "mlog-check: an index without a segment is a notice" {
	seq300 L
	cp L/p0/$(seg 32).idx L/p0/$(seg 33).idx
	run mlog-check L
	assert_success
	assert_line -n 0 "L: partition 0: $(seg 33).idx: notice: index without a segment"
}

# ---------------------------------------------------------------- compacted

# compacted LOG OFFSET...: turn segment 32 of a seq300 log into a compacted
# segment without the records at OFFSET...
compacted() {
	local log=$1 f keep p l o
	shift
	f=$log/p0/$(seg 32).log
	seg-map "$log" | awk '$2 == "'"$(seg 32).log"'" { print $3, $4, $5 }' >recs
	cp "$f" seg.orig
	head -c 24 seg.orig >"$f"
	while read -r p l o; do
		case " $* " in *" $o "*) continue ;; esac
		tail -c +$((p + 1)) seg.orig | head -c "$l" >>"$f"
	done <recs
	printf mlogsegc | dd of="$f" conv=notrunc 2>/dev/null
}

@test "mlog-check: a compacted segment with gaps in its offsets is clean" {
	seq300 L
	compacted L 32 35 36 40 63
	run mlog-check L
	assert_success
	assert_output 'L: 1 partition, 10 segments, 295 records, 9577 bytes checked: 0 problems, 0 notices'
	run mlog-tail -e -F '%o ' L
	assert_output --partial ' 31 33 34 37 38 39 41 '
	assert_output --partial ' 61 62 64 65 '
}

@test "mlog-check: a compacted segment with offsets out of order or past the next segment's base is damaged" {
	seq300 L
	compacted L 35 36
	p=$(pos L 0 37)
	put L/p0/$(seg 32).log $((p + 4)) 8 33
	run mlog-check L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offset 33 (byte $p): offset went backwards (after 34)
L: 1 partition, 10 segments, 298 records, 9670 bytes checked: 1 problem, 0 notices"
	put L/p0/$(seg 32).log $((p + 4)) 8 37
	p=$(pos L 0 63)
	put L/p0/$(seg 32).log $((p + 4)) 8 64
	run mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $(seg 32).log: offset 64 (byte $p): offset not below the next segment's base (64)"
	put L/p0/$(seg 32).log 28 8 31
	put L/p0/$(seg 32).log $((p + 4)) 8 63
	run mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $(seg 32).log: offset 31 (byte 24): offset below the segment's base"
	assert_equal "${#lines[@]}" 2
}

# ---------------------------------------------------------------- metadata

@test "mlog-check: damaged metadata is named by line, and a missing partition directory by number" {
	seq300 L
	cp L/meta meta
	echo garbage >L/meta
	run mlog-check L
	assert_failure 1
	assert_output 'L: meta: line 1 does not read "mlog 1"
L: 0 partitions, 0 segments, 0 records, 0 bytes checked: 1 problem, 0 notices'
	sed 's/^partitions 1$/partitions 0/' meta >L/meta
	run mlog-check L
	assert_failure 1
	assert_line -n 0 'L: meta: line 2: partitions out of range (1 to 1024)'
	grep -v segment-bytes meta >L/meta
	run mlog-check L
	assert_failure 1
	assert_output 'L: meta: no "segment-bytes" line
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 1 problem, 0 notices'
	sed 's/^partitions 1$/partitions 3/' meta >L/meta
	mkdir L/p2
	run mlog-check L
	assert_failure 1
	assert_output 'L: partition 1: missing (no directory p1)
L: 2 partitions, 10 segments, 300 records, 9732 bytes checked: 1 problem, 0 notices'
}

@test "mlog-check: a start file that does not parse or lies past the end is damaged" {
	seq300 L
	echo 'start x' >L/p0/start
	run mlog-check L
	assert_failure 1
	assert_output 'L: partition 0: start: cannot be parsed (it must read "start N")
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 1 problem, 0 notices'
	echo 'start 301' >L/p0/start
	run mlog-check L
	assert_failure 1
	assert_output 'L: partition 0: start: start 301 is past the end of the partition (300)
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 1 problem, 0 notices'
	echo 'start 300' >L/p0/start
	run mlog-check -q L
	assert_success
}

@test "mlog-check: segments below the start are notices, as are groups that lost unread records" {
	seq300 L
	mlog-tail -g a -c 10 L >/dev/null
	echo 'start 64' >L/p0/start
	run mlog-check L
	assert_success
	assert_output "L: partition 0: $S0.log: notice: below the start of the partition (64), left by an interrupted trim
L: partition 0: $(seg 32).log: notice: below the start of the partition (64), left by an interrupted trim
L: groups/a/offsets: notice: partition 0: position 10 is below the start of the partition (64): 54 unread records were deleted by retention
L: 1 partition, 8 segments, 236 records, 7709 bytes checked: 0 problems, 3 notices"
}

@test "mlog-check: a group position past the end is damaged, an offsets file that does not parse too" {
	seq 1 5 | mlog-append -P 2 -p 1 L
	mkdir -p L/groups/a L/groups/b
	printf 'mlog-offsets 1\n0 0\n1 6\n' >L/groups/a/offsets
	printf 'mlog-offsets 1\n1 5\n' >L/groups/a/offsets.pending
	echo junk >L/groups/b/offsets
	run mlog-check L
	assert_failure 1
	assert_output 'L: groups/b/offsets: cannot be parsed
L: groups/a/offsets: partition 1: position 6 is past the end of the partition (5)
L: 2 partitions, 1 segment, 5 records, 174 bytes checked: 2 problems, 0 notices'
}

@test "mlog-check: stray files and what an interrupted compaction left are notices" {
	seq300 L
	touch L/p0/notes.txt L/p0/$(seg 64).log.cleaned L/p0/$(seg 64).idx.cleaned L/p0/compact.swap L/p0/start.tmp.77
	run mlog-check L
	assert_success
	assert_output "L: partition 0: $(seg 64).idx.cleaned: notice: left by an interrupted mlog-compact (the next mlog-compact finishes or discards it)
L: partition 0: $(seg 64).log.cleaned: notice: left by an interrupted mlog-compact (the next mlog-compact finishes or discards it)
L: partition 0: compact.swap: notice: left by an interrupted mlog-compact (the next mlog-compact finishes or discards it)
L: partition 0: notes.txt: notice: stray file, not part of the log
L: partition 0: start.tmp.77: notice: temporary file, left by an interrupted write or being written
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 0 problems, 5 notices"
}

# ---------------------------------------------------------------- tails

@test "mlog-check: a log cut at any byte of its last record has a torn tail, a notice" {
	seq300 L
	f=$(seg 282).log
	size=$(stat -c %s L/p0/$f)
	p=$(pos L 0 299)
	for ((cut = p + 1; cut < size; cut++)); do
		((cut - p < 2 || cut + 1 == size)) || sampled $((cut - p)) || continue
		rm -rf C
		cp -r L C
		truncate -s $cut C/p0/$f
		run mlog-check C
		assert_success
		assert_output "C: partition 0: $f: byte $p: notice: torn tail of $((cut - p)) byte$( ((cut - p == 1)) || echo s), left by an interrupted append (the next mlog-append cuts it)
C: 1 partition, 10 segments, 299 records, $((9732 - size + cut)) bytes checked: 0 problems, 1 notice"
	done
}

@test "mlog-check: --repair cuts a torn tail at any byte; the log then reads whole and checks clean" {
	seq300 L
	f=$(seg 282).log
	size=$(stat -c %s L/p0/$f)
	p=$(pos L 0 299)
	mlog-tail -e L | head -n 299 >want
	for ((cut = p + 1; cut < size; cut++)); do
		((cut - p < 2 || cut + 1 == size)) || sampled $((cut - p)) || continue
		rm -rf C
		cp -r L C
		truncate -s $cut C/p0/$f
		run mlog-check --repair C
		assert_success
		assert_line -n 1 "C: partition 0: $f: byte $p: repair: cut the torn tail ($((cut - p)) byte$( ((cut - p == 1)) || echo s))"
		assert_line -n 2 "C: 1 partition, 10 segments, 299 records, $((9732 - size + cut)) bytes checked: 0 problems, 1 notice, 1 repair"
		mlog-tail -e C >got
		cmp want got
		run mlog-check C
		assert_success
		assert_output "C: 1 partition, 10 segments, 299 records, $((9732 - size + p)) bytes checked: 0 problems, 0 notices"
	done
}

@test "mlog-check: a complete last record with a bad CRC, or with a damaged length field, is damage" {
	seq300 L
	f=$(seg 282).log
	size=$(stat -c %s L/p0/$f)
	p=$(pos L 0 299)
	cp -r L A
	xor A/p0/$f $((size - 1)) 1
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $f: offset 299 (byte $p): CRC mismatch"
	rm -rf A
	cp -r L A
	put A/p0/$f "$p" 4 100
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $f: offset 299 (byte $p): bad length (reads 100, expected 28)"
	put A/p0/$f "$p" 4 20
	run mlog-check A
	assert_failure 1
	assert_line -n 0 "A: partition 0: $f: offset 299 (byte $p): bad length (reads 20, expected 28)"
	assert_equal "${#lines[@]}" 2
}

@test "mlog-check: a tail an appender is still writing is not judged" {
	seq300 L
	f=$(seg 282).log
	printf 'partial' >>L/p0/$f
	flock L/p0/lock -c 'mlog-check L' >out
	assert_equal "$(cat out)" "L: 1 partition, 10 segments, 300 records, 9739 bytes checked: 0 problems, 0 notices"
	run mlog-check L
	assert_success
	assert_line -n 0 "L: partition 0: $f: byte $(stat -c %s L/p0/$f | awk '{ print $1 - 7 }'): notice: torn tail of 7 bytes, left by an interrupted append (the next mlog-append cuts it)"
}

@test "mlog-check: a segment header an interrupted roll left short is a notice, and repaired" {
	seq300 L
	printf 'mlog' >L/p0/$(seg 300).log
	run mlog-check L
	assert_success
	assert_line -n 0 "L: partition 0: $(seg 300).log: byte 0: notice: incomplete segment header (4 bytes), left by an interrupted roll (the next mlog-append rewrites it)"
	run mlog-check --repair L
	assert_success
	assert_line -n 1 "L: partition 0: $(seg 300).log: byte 0: repair: segment header rewritten"
	assert_line -n 2 "L: partition 0: $(seg 300).idx: repair: rebuilt"
	run mlog-check L
	assert_success
	assert_output 'L: 1 partition, 11 segments, 300 records, 9756 bytes checked: 0 problems, 0 notices'
	echo x | mlog-append L
	assert_equal "$(mlog-tail -F '%o %s' -c 1 -o 300 L)" '300 x'
}

# ---------------------------------------------------------------- --repair

@test "mlog-check: --repair cuts the damaged tail of a sealed segment, keeps the bytes, and the gap is a notice after" {
	seq300 L
	f=$(seg 32).log
	p=$(pos L 0 62)
	xor L/p0/$f $((p + 30)) 1
	xor L/p0/$f $((p + 61)) 1
	run mlog-check --repair L
	assert_failure 1
	assert_output "L: partition 0: $f: offsets 62..63 (byte $p): CRC mismatch
L: partition 0: $f: offsets 62..63 (byte $p): repair: cut 62 bytes, kept in damaged/p0/$(seg 62).log: these offsets are no longer in the log
L: 1 partition, 10 segments, 298 records, 9732 bytes checked: 1 problem, 0 notices, 1 repair"
	[ "$(stat -c %s L/damaged/p0/$(seg 62).log)" = $((24 + 62)) ]
	run mlog-check L
	assert_success
	assert_output "L: partition 0: $f: offsets 62..63: notice: not in the log: moved aside to damaged/p0/$(seg 62).log by mlog-check --repair
L: 1 partition, 10 segments, 298 records, 9670 bytes checked: 0 problems, 1 notice"
	mlog-tail -e L >out 2>err
	assert_equal "$(wc -l <out)" 298
	run cat err
	assert_output 'mlog-tail: L: partition 0: offsets 62 to 63 are missing from the log (moved aside by mlog-check --repair?); continuing at 64'
}

@test "mlog-check: --repair cuts a damaged last record and the next append takes its offset" {
	seq300 L
	f=$(seg 282).log
	p=$(pos L 0 299)
	xor L/p0/$f $((p + 28)) 1
	run mlog-check --repair L
	assert_failure 1
	assert_line -n 1 "L: partition 0: $f: offset 299 (byte $p): repair: cut 32 bytes: the next records appended take these offsets"
	run mlog-check L
	assert_success
	echo again | mlog-append L
	assert_equal "$(mlog-tail -F '%o %s' -n 1 L)" '299 again'
}

@test "mlog-check: --repair rebuilds a damaged index beside it, as a fresh one" {
	seq 1 3000 | mlog-append -s 16K L
	I=L/p0/$S0.idx
	cp $I idx
	xor $I 40 1
	rm L/p0/$(seg 514).idx
	run mlog-check --repair L
	assert_failure 1
	assert_output --partial "L: partition 0: $S0.idx: repair: rebuilt
L: partition 0: $(seg 514).idx: repair: rebuilt
"
	cmp idx $I
	run mlog-check L
	assert_success
	assert_output "$(summary L)"
}

@test "mlog-check: --repair moves a segment damaged in the middle aside, and what remains reads and checks clean" {
	seq300 L
	xor L/p0/$(seg 32).log $(($(pos L 0 40) + 30)) 1
	run mlog-check --repair L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offset 40 (byte 272): CRC mismatch
L: partition 0: $(seg 32).log: offsets 32..63: repair: moved aside to damaged/p0/$(seg 32).log: these offsets are no longer in the log
L: 1 partition, 10 segments, 299 records, 9732 bytes checked: 1 problem, 0 notices, 1 repair"
	[ -f L/damaged/p0/$(seg 32).log ]
	[ -f L/damaged/p0/$(seg 32).idx ]
	[ ! -e L/p0/$(seg 32).log ]
	run mlog-check L
	assert_success
	assert_output "L: partition 0: $S0.log: offsets 32..63: notice: not in the log: moved aside to damaged/p0/$(seg 32).log by mlog-check --repair
L: 1 partition, 9 segments, 268 records, 8716 bytes checked: 0 problems, 1 notice"
	mlog-tail -e L >out 2>err
	assert_equal "$(wc -l <out)" 268
	assert_equal "$(md5sum <out)" "$( (seq 1 32; seq 65 300) | md5sum)"
	run cat err
	assert_output 'mlog-tail: L: partition 0: offsets 32 to 63 are missing from the log (moved aside by mlog-check --repair?); continuing at 64'
}

@test "mlog-check: --repair moves a last segment damaged in the middle aside and appends go on after its offsets" {
	seq300 L
	xor L/p0/$(seg 282).log $(($(pos L 0 290) + 30)) 1
	run mlog-check --repair L
	assert_failure 1
	assert_line -n 1 "L: partition 0: $(seg 282).log: offsets 282..299: repair: moved aside to damaged/p0/$(seg 282).log: these offsets are no longer in the log; the partition goes on in a new segment"
	run mlog-check L
	assert_success
	assert_output "L: partition 0: $(seg 251).log: offsets 282..299: notice: not in the log: moved aside to damaged/p0/$(seg 282).log by mlog-check --repair
L: 1 partition, 10 segments, 282 records, 9156 bytes checked: 0 problems, 1 notice"
	echo next | mlog-append L
	assert_equal "$(mlog-tail -F '%o %s' -o 300 L)" '300 next'
	run mlog-check -q L
	assert_success
}

@test "mlog-check: --repair rewrites a damaged offset field and a damaged segment header" {
	seq300 L
	cp -r L orig
	put L/p0/$(seg 32).log $(($(pos L 0 40) + 4)) 8 4136
	xor L/p0/$(seg 64).log 1 8
	run mlog-check --repair L
	assert_failure 1
	assert_output "L: partition 0: $(seg 32).log: offset 40 (byte 272): offset field reads 4136
L: partition 0: 00000000000000000064.log: byte 0: bad segment header: magic reads \"mdogseg1\"
L: partition 0: $(seg 32).log: offset 40 (byte 272): repair: offset field rewritten (it read 4136)
L: partition 0: $(seg 64).log: byte 0: repair: segment header rewritten
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 2 problems, 0 notices, 2 repairs"
	diff -r orig L
}

@test "mlog-check: --repair removes segments below the start" {
	seq300 L
	echo 'start 64' >L/p0/start
	run mlog-check --repair L
	assert_success
	assert_line -n 2 "L: partition 0: $S0.log: repair: removed: it lies below the start of the partition (64)"
	assert_line -n 3 "L: partition 0: $(seg 32).log: repair: removed: it lies below the start of the partition (64)"
	[ ! -e L/p0/$S0.log ] && [ ! -e L/p0/$S0.idx ]
	run mlog-check L
	assert_success
	assert_output 'L: 1 partition, 8 segments, 236 records, 7709 bytes checked: 0 problems, 0 notices'
}

@test "mlog-check: --repair never touches a clean log, nor one with notices it has nothing to do for" {
	seq300 L
	rm L/p0/lock
	touch L/p0/stray
	cp -a L orig
	find L -exec touch -d '2001-01-01' {} +
	run mlog-check --repair L
	assert_success
	assert_output "L: partition 0: stray: notice: stray file, not part of the log
L: 1 partition, 10 segments, 300 records, 9732 bytes checked: 0 problems, 1 notice, 0 repairs"
	diff -r orig L
	[ -z "$(find L -newermt '2002-01-01')" ]
}

@test "mlog-check: --repair leaves a timestamp out of range, a damaged start and a group past the end as they are" {
	printf '{"timestamp":%s,"value":"x"}\n' 1 1 | mlog-append -J L
	rec-poke L/p0/$S0.log 54 -62167219200000001
	echo 'start 7' >L/p0/start
	cp -a L orig
	run mlog-check --repair L
	assert_failure 1
	assert_output "L: partition 0: $S0.log: offset 1 (byte 54): timestamp -62167219200000001 out of range
L: partition 0: start: start 7 is past the end of the partition (2)
L: 1 partition, 1 segment, 2 records, 84 bytes checked: 2 problems, 0 notices, 0 repairs"
	diff -r orig L
}

# ---------------------------------------------------------------- --quick

@test "mlog-check: --quick checks the end of the last segment from its last index entry on" {
	seq 1 3000 | mlog-append -s 16K L
	last=$(ls L/p0/*.log | tail -1)
	last=${last##*/}
	p=$(pos L 0 2999)
	# damage in an older segment is not looked for
	xor L/p0/$S0.log $(($(pos L 0 100) + 30)) 1
	run mlog-check --quick L
	assert_success
	assert_output "L: 1 partition, 1 segment, 116 records, 3828 bytes checked: 0 problems, 0 notices"
	run mlog-check -Q L
	assert_success
	# damage at the end of the last segment is
	size=$(stat -c %s L/p0/$last)
	xor L/p0/$last $((size - 3)) 1
	run mlog-check -Q L
	assert_failure 1
	assert_output "L: partition 0: $last: offset 2999 (byte $p): CRC mismatch
L: 1 partition, 1 segment, 115 records, 3828 bytes checked: 1 problem, 0 notices"
}

@test "mlog-check: --quick finds a damaged last index and a torn tail" {
	seq 1 3000 | mlog-append -s 16K L
	last=$(ls L/p0/*.idx | tail -1)
	last=${last##*/}
	size=$(stat -c %s L/p0/$last)
	xor L/p0/$last $((size - 12)) 2
	run mlog-check -Q L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $last: byte $((size - 16)): index entry 2 points at byte 12397, expected 12399"
	xor L/p0/$last 0 1
	end=$(stat -c %s L/p0/${last%.idx}.log)
	printf 'xy' >>L/p0/${last%.idx}.log
	# without a usable index the whole segment is read
	run mlog-check -Q L
	assert_failure 1
	assert_output "L: partition 0: ${last%.idx}.log: byte $end: notice: torn tail of 2 bytes, left by an interrupted append (the next mlog-append cuts it)
L: partition 0: $last: byte 0: bad index header (magic)
L: 1 partition, 1 segment, 491 records, $((end + 2)) bytes checked: 1 problem, 1 notice"
	run mlog-check -Q -r L
	assert_line -n 2 "L: partition 0: ${last%.idx}.log: byte $end: repair: cut the torn tail (2 bytes)"
	assert_line -n 3 "L: partition 0: $last: repair: rebuilt"
	run mlog-check L
	assert_success
}

# ---------------------------------------------------------------- flips

# One log, 200 copies (scaled), one random bit flipped in the records of a
# random segment of each (seeded: the seed of a failure reproduces it).  The check
# must fail and name the partition, segment and offset of the record that
# held the bit (or a range holding it), and nothing in any other segment.
@test "mlog-check: a bit flipped anywhere in the records is found and named by its record" {
	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "user%d {\"n\":%d,\"msg\":\"record number %d\"}\n", i % 37, i, i }' |
		mlog-append -K ' ' -P 3 -s 16K L
	[ "$(ls L/p*/*.log | wc -l)" -ge 9 ]
	seg-map L >map
	run mlog-check L
	assert_success
	assert_output 'L: 3 partitions, 11 segments, 2000 records, 141502 bytes checked: 0 problems, 0 notices'
	# per copy: seed, partition, segment, byte, bit, offset of the record
	# holding the byte, and the byte's new value in octal
	awk 'function load(file,   cmd, line, v, j, m, at) {
		cmd = "od -An -tu1 -v " file
		while ((cmd | getline line) > 0) {
			m = split(line, v, " ")
			for (j = 1; j <= m; j++)
				byte[file, at++] = v[j]
		}
		close(cmd)
		loaded[file] = 1
	    }
	    { k = $1 " " $2; if (!(k in end)) segs[n++] = k; end[k] = $3 + $4
	      lo[NR] = $3; hi[NR] = $3 + $4; key[NR] = k; off[NR] = $5 }
	    END {
		for (s = 1; s <= copies; s++) {
			srand(s)
			k = segs[int(rand() * n)]
			b = 24 + int(rand() * (end[k] - 24))
			bit = int(rand() * 8)
			for (i = 1; i <= NR; i++)
				if (key[i] == k && b >= lo[i] && b < hi[i])
					break
			split(k, f, " ")
			file = "L/p" f[1] "/" f[2]
			if (!(file in loaded))
				load(file)
			v = byte[file, b]
			v += int(v / 2 ^ bit) % 2 ? -(2 ^ bit) : 2 ^ bit
			printf "%d %s %d %d %d %03o\n", s, k, b, bit, off[i], v
		}
	    }' copies="$(scaled 200 20)" map >flips
	assert_equal "$(wc -l <flips)" "$(scaled 200 20)"
	# three processes a copy: the machine may be slow to start them
	while read -r s part f b bit off new; do
		cp -r L C$s
		printf "\\$new" >byte
		dd if=byte of=C$s/p$part/$f bs=1 seek="$b" conv=notrunc 2>/dev/null
		out=$(mlog-check C$s) && st=0 || st=$?
		why=
		[ "$st" = 1 ] || why="exit $st"
		named=
		while read -r line; do
			case $line in
			"C$s: partition $part: $f: offset $off "*) named=1 ;;
			"C$s: partition $part: $f: offsets "*)
				r=${line#"C$s: partition $part: $f: offsets "}
				r=${r%% *}
				if ((off >= ${r%..*} && off <= ${r#*..})); then
					named=1
				fi
				;;
			"C$s: partition $part: ${f%.log}."*) ;;
			"C$s: 3 partitions, "*) ;;
			*) why="a line elsewhere: $line" ;;
			esac
		done <<<"$out"
		[ -n "$named" ] || why=${why:-"offset $off not named"}
		if [ -n "$why" ]; then
			echo "seed $s: p$part/$f byte $b bit $bit (offset $off): $why"
			echo "$out"
			return 1
		fi
	done <flips
}

# ---------------------------------------------------------------- concurrency

@test "mlog-check: a check beside a running appender never reports damage" {
	mlog-append -P 2 -s 2K L </dev/null
	mkfifo fifo
	exec 7<>fifo
	mlog-append L <fifo 3>&- 7>&- &
	pid=$!
	bursts=$(scaled 40 10)
	for ((r = 0; r < bursts; r++)); do
		seq $((r * 100)) $((r * 100 + 99)) | sed "s/^/burst $r line /" >&7
		run mlog-check -q L
		assert_success
		assert_output ''
	done
	exec 7>&-
	wait "$pid"
	run mlog-check L
	assert_success
	assert_output "$(summary L)"
}
