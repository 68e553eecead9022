"""Run inside a subprocess with XLWINGS_ON_SERVER=true: call xlwings Server's app
(from the xlwings-server package) with the project in ../server, print JSON."""
import json
import sys
from pathlib import Path

from fastapi.testclient import TestClient
import xlwings as xw
from xlwings_server.main import main_app

sys.path.insert(0, str(Path(__file__).parent))
from test_addin_scripts import payload  # noqa: E402

client = TestClient(main_app)
what, arg = sys.argv[1], sys.argv[2]
if what == "manifest":
    r = client.get("/manifest.xml")
    print(json.dumps({"status": r.status_code, "body": r.text}, ensure_ascii=False))
    sys.exit(0)
if what == "function":
    body = json.loads(arg)
    body.setdefault("version", xw.__version__)
    body.setdefault("runtime", "1.4")  # the Office.js requirement set the client reports
    r = client.post("/xlwings/custom-functions-call", json=body)
else:
    r = client.post(f"/xlwings/custom-scripts-call/{what}", json=payload(Path(arg)))
print(json.dumps({"status": r.status_code, "body": r.json()}, ensure_ascii=False))
