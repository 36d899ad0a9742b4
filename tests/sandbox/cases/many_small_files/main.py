# Creates empty files until it cannot: the work dir's inode limit (256 files, shared with
# /tmp) must stop it long before 10000.
import errno

count = 0
try:
    while count < 10000:
        open(f"/box/f{count}", "x").close()
        count += 1
except OSError as exc:
    print(f"created {count} files, then {errno.errorcode.get(exc.errno, exc.errno)}: {exc.strerror}")
    raise SystemExit(1)
print("no limit on the number of files")
raise SystemExit(2)
