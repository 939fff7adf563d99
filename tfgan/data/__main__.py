"""``python -m tfgan.data fetch [NAME ...]``: make the course data available on this machine.

NAME is ``mnist``, ``fashion_mnist`` or ``starry_night``, or one split such as ``mnist/test``;
none (or ``--all``) means all of them. Files with a local copy (``$TFGAN_DATA_DIR``, the
repository's ``data/``, the cache) are left alone; the others are downloaded into the cache
(``$TFGAN_CACHE``, default ``~/.cache/tfgan``) and checked against their pinned SHA-256. With
``TFGAN_OFFLINE=1`` nothing is downloaded: missing files are listed with where to put them.
Exit code 0 when every file is available, 2 otherwise. ``python -m tfgan.data list`` prints the
pinned files and where each one is found.
"""

from __future__ import annotations

import argparse
import sys

from tfgan.data import sources


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfgan.data", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="download the missing course files into the cache")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help="mnist, fashion_mnist, starry_night, or a split such as mnist/test (default: all)")
    fetch.add_argument("--all", action="store_true", help="every course file (the default without NAMEs)")
    fetch.add_argument("--base-url", default=None,
                       help="a mirror laid out like a data folder (default: $TFGAN_DATA_URL, else the published URLs)")
    commands.add_parser("list", help="the pinned files, their hashes and local copies")
    args = parser.parse_args(argv)

    if args.command == "list":
        for file in sources.COURSE_FILES:
            where = sources.local_copy(file)
            print(f"{file.path:42s} {file.size:>9d} B  sha256 {file.sha256}  {where or 'missing'}")
        return 0
    try:
        names = [] if args.all else args.names
        sources.select(names)
    except ValueError as err:
        parser.error(str(err))
    report = sources.fetch(names, base_url=args.base_url)
    for path, found in report.found.items():
        print(f"found       {path}: {found}")
    for path, saved in report.downloaded.items():
        print(f"downloaded  {path}: {saved} (SHA-256 checked)")
    for path, reason in report.failed.items():
        print(f"FAILED      {path}: {reason}", file=sys.stderr)
    if report.failed:
        failed = [f for f in sources.COURSE_FILES if f.path in report.failed]
        print(sources.where_to_put(failed), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
