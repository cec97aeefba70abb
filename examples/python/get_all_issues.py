"""Fetch every issue with a service-account token, as RegScale's documentation shows.

    GRC_URL=http://127.0.0.1:4000 GRC_TOKEN=<service-account token> python3 examples/python/get_all_issues.py
"""
import os
import sys

import requests

url = os.environ.get("GRC_URL", "http://127.0.0.1:4000")
token = os.environ.get("GRC_TOKEN")
if not token:
    sys.exit("set GRC_TOKEN to a service-account token")

headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
response = requests.get(f"{url}/api/issues/getAll", headers=headers, timeout=60)
if response.status_code != 200:
    error = response.json().get("error", {})
    sys.exit(f"request refused: {response.status_code} {error.get('code')} {error.get('message')}")

issues = response.json()
print(f"{len(issues)} issues")
for issue in issues[:5]:
    print(f"#{issue['id']} [{issue['severityLevel']}] {issue['status']}: {issue['title']}")
