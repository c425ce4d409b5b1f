"""Writes a synthetic audit trail for bench/audit.sh, hashed as the store hashes each row
(crates/store/src/chain.rs): fields length-prefixed (`LEN:VALUE|`, `-|` for an absent one)
after the tag `scitrial-audit-v1`, then SHA-256 in lower-case hex.

A running trial's shape: four study chains, their unblinded chains and the system chain,
interleaved; a write of 1 to 25 rows shares its instant and its author; fields, values and
reasons as a form's save records them.

    python3 bench/audit_trail.py ROWS sqlite FILE.db   # inserts into the store's tables
    python3 bench/audit_trail.py ROWS copy DIR          # DIR/audit.copy and DIR/heads.copy
"""

import hashlib
import os
import random
import sqlite3
import sys

GENESIS = "0" * 64
FIELDS = ["c5RightMotor", "t4LeftTouch", "s4_5LeftPrick", "analContraction"]


def put(out, value):
    if value is None:
        out.append(b"-|")
    else:
        b = value.encode()
        out.append(b"%d:%s|" % (len(b), b))


def digest(row):
    out = []
    put(out, "scitrial-audit-v1")
    put(out, row[1])
    put(out, str(row[2]))
    put(out, row[3])
    put(out, None if row[4] is None else str(row[4]))
    for value in row[5:14]:
        put(out, value)
    return hashlib.sha256(b"".join(out)).hexdigest()


def trail(rows):
    rng = random.Random(7)
    chains = [c for s in range(1, 5) for c in (f"SYN-{s}", f"SYN-{s}/unblinded")] + ["system"]
    heads = {c: (0, GENESIS) for c in chains}
    micros = 0
    n = 0
    while n < rows:
        pick = rng.randrange(100)
        c = chains[8] if pick < 4 else chains[1 + 2 * (pick % 4)] if pick < 8 else chains[2 * (pick % 4)]
        micros += 1 + rng.randrange(2_000_000)
        s = micros // 1_000_000
        at = "2026-12-%02dT%02d:%02d:%02d.%06dZ" % (
            1 + s // 86400 % 28, s // 3600 % 24, s // 60 % 60, s % 60, micros % 1_000_000)
        user = 1 + rng.randrange(40)
        record = rng.randrange(5000)
        for _ in range(min(1 + rng.randrange(25), rows - n)):
            seq, prev = heads[c]
            seq += 1
            n += 1
            row = [n, c, seq, at, user, f"investigator{user}", "update", "form",
                   f"{record}/screening/isncsci", "exam." + rng.choice(FIELDS),
                   str(rng.randrange(6)), str(rng.randrange(6)),
                   "transcription error, see source" if rng.randrange(3) == 0 else None,
                   prev]
            h = digest(row)
            row.append(h)
            heads[c] = (seq, h)
            yield row
    trail.heads = heads


def main():
    rows, how, where = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if how == "sqlite":
        db = sqlite3.connect(where)
        db.execute("PRAGMA synchronous = OFF")
        db.executemany(
            "INSERT INTO audit (id, chain, seq, at, user_id, username, action, entity, record_id, "
            "field, old_value, new_value, reason, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", trail(rows))
        db.executemany("INSERT INTO audit_heads (chain, seq, hash) VALUES (?, ?, ?)",
                       [(c, s, h) for c, (s, h) in trail.heads.items() if s > 0])
        db.commit()
    else:
        text = lambda v: "\\N" if v is None else str(v)
        with open(os.path.join(where, "audit.copy"), "w") as f:
            for row in trail(rows):
                f.write("\t".join(map(text, row)) + "\n")
        with open(os.path.join(where, "heads.copy"), "w") as f:
            for c, (s, h) in trail.heads.items():
                if s > 0:
                    f.write(f"{c}\t{s}\t{h}\n")


main()
