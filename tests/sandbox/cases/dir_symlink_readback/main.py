# Replaces a directory of the work dir by a link to /etc, so that sub/out.txt and sub/passwd
# name host files (as seen by a grader that follows links).
import os

os.symlink("/etc", "sub")
