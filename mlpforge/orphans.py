"""`python -m mlpforge.orphans`: remove blobs that no dataset, model or job refers to.

Run it now and then (a cron job, a Kubernetes CronJob) when MLPFORGE_BLOB_URL names a folder
or a bucket: a process that died between writing a blob and its record (or between deleting a
record and its blobs) leaves such a blob behind. It reads the same settings as the API.
"""

from __future__ import annotations

import argparse
import sys

from mlpforge.blob_config import blob_store
from mlpforge.settings import settings_or_exit
from store.connection import connect
from store.orphans import DEFAULT_AGE_SECS, sweep


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--older-than",
        type=float,
        default=DEFAULT_AGE_SECS,
        help="only blobs older than this many seconds (default: an hour)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list them, remove nothing")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    blobs = blob_store(settings)
    if blobs is None:
        print(
            "MLPFORGE_BLOB_URL is redis: blobs live in their records' transactions, "
            "nothing to sweep"
        )
        return 0
    client = connect(settings.redis_url, settings.redis_timeout_secs)
    result = sweep(client, blobs, older_than_secs=args.older_than, dry_run=args.dry_run)
    for name in result.removed:
        print(f"{'orphan' if args.dry_run else 'removed'}: {name}")
    print(f"{len(result.removed)} orphaned, {result.kept} kept, {len(result.unknown)} unknown")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
