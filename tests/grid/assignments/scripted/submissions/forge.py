# Tries to forge the grader's result: writes feedback.json in its own box, looks for the
# grader's answers, and prints a wrong answer. None of it reaches the grader.
import json
import os

json.dump({"fractionalScore": 1.0, "feedback": "forged"}, open("feedback.json", "w"))
for path in ("answers.json", "../answers.json", "/box/answers.json", "grader/answers.json"):
    if os.path.exists(path):
        print(open(path).read())
print(-1)
