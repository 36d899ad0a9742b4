"""Course staff's grader for "Squares": `plan` names the runs, `judge runs.json` scores them.
Its answers stay in this folder, which no learner's box ever holds."""

import json
import os
import sys

ANSWERS = json.load(open("answers.json"))

if sys.argv[1] == "plan":
    assert os.listdir("submission"), "the learner's file is beside us"
    runs = [{"name": name, "stdin": f"{n}\n"} for name, (n, _) in ANSWERS.items()]
    print(json.dumps({"runs": runs}))
elif sys.argv[1] == "judge":
    runs = json.load(open(sys.argv[2]))["runs"]
    right = [r["name"] for r in runs if r["status"] == "OK"
             and r["stdout"].strip() == str(ANSWERS[r["name"]][1])]
    lines = [f"{r['name']}: {'right' if r['name'] in right else 'wrong (' + r['status'] + ')'}"
             for r in runs]
    with open("feedback.json", "w") as out:
        json.dump({"fractionalScore": len(right) / len(runs), "feedback": "\n".join(lines)}, out)
