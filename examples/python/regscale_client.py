"""Talk to this server the way RegScale's command-line client (regscale-cli) does.

    GRC_URL=http://127.0.0.1:4000 GRC_USER=... GRC_PASSWORD=... python3 examples/python/regscale_client.py

Each step mirrors one function of the client (named in the comments): password login with
the version 2 answer and the version 1 fallback, token validation, the user id from the JWT,
issue create / update / batch create, the issues of a parent over REST, and the same over
GraphQL in RegScale's skip/take dialect, paged to the end by pageInfo.hasNextPage.
"""
import base64
import json
import os
import sys

import requests

url = os.environ.get("GRC_URL", "http://127.0.0.1:4000").rstrip("/")
user = os.environ.get("GRC_USER")
password = os.environ.get("GRC_PASSWORD")
if not user or not password:
    sys.exit("set GRC_USER and GRC_PASSWORD")
session = requests.Session()

# core/login.py get_regscale_token: version 2 first, version 1 after an HTTP error.
auth = {"userName": user, "password": password, "oldPassword": "", "mfaToken": ""}
response = session.post(f"{url}/api/authentication/login", json={**auth, "appId": 1}, headers={"X-Api-Version": "2.0"})
if response.ok:
    user_id, jwt = response.json()["accessToken"]["id"], response.json()["accessToken"]["authToken"]
else:
    response = session.post(f"{url}/api/authentication/login", json=auth, headers={})
    response.raise_for_status()
    user_id, jwt = response.json()["id"], response.json()["auth_token"]
token = f"Bearer {jwt}"  # RegScaleAuth.token, as init.yaml keeps it
print(f"login {response.status_code}")

# core/app/internal/login.py verify_token: no Authorization header, the token in the body.
check = session.post(f"{url}/api/authentication/validateToken", json={"accessToken": token})
print(f"validateToken {check.status_code}")

# parse_user_id_from_jwt: the claim "id".
payload = jwt.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
print(f"user id from token matches: {claims['id'] == user_id}")

headers = {"accept": "application/json", "Content-Type": "application/json", "Authorization": token}
parent_id, module = 424242, "securityplans"


def issue(title, **fields):
    """A dict like the client's Issue(...).dict(): its defaults, severity written short."""
    return {
        "id": 0, "title": title, "severityLevel": "Low", "status": "Open", "dueDate": "", "identification": "",
        "issueOwnerId": user_id, "createdById": user_id, "lastUpdatedById": user_id,
        "parentId": parent_id, "parentModule": module, "isPublic": True, "isPoam": False, **fields,
    }


# Issue.insert_issue / Issue.update_issue: the answer is read on exactly 200.
created = session.post(f"{url}/api/issues", json=issue("Python finding", severityLevel="High", cve="CVE-2024-3094"), headers=headers)
print(f"insert_issue {created.status_code} {created.json()['severityLevel']}")
changed = session.put(
    f"{url}/api/issues/{created.json()['id']}", json={**created.json(), "status": "Closed"}, headers={**headers, "x-api-version": "2"}
)
print(f"update_issue {changed.status_code} {changed.json()['status']}")

# Issue.bulk_insert(batch=True): the lowercase batchcreate.
batch = session.post(f"{url}/api/issues/batchcreate", json=[issue(f"Batch finding {i}") for i in range(1, 61)], headers=headers)
print(f"batchcreate {batch.status_code} {len(batch.json())}")

# RegScaleModel.get_all_by_parent.
listed = session.get(f"{url}/api/issues/getAllByParent/{parent_id}/{module}", headers=headers)
print(f"getAllByParent {listed.status_code} {len(listed.json())}")

# Issue.fetch_issues_by_parent through Api.graph: take 50, skip advanced by the items read.
fields = "id title severityLevel status parentId parentModule cve isPoam dateCreated"
query = f"""query {{ issues(take: 50, skip: 0, where: {{ parentModule: {{eq: "{module}"}} parentId: {{ eq: {parent_id} }} }}) {{
  items {{ {fields} }} pageInfo {{ hasNextPage }} ,totalCount }} }}"""
items, skip, pages = [], 0, 0
while True:
    answer = session.post(f"{url}/graphql", json={"query": query.replace("skip: 0", f"skip: {skip}")}, headers=headers).json()
    if "errors" in answer:
        sys.exit(f"GraphQL errors: {answer['errors']}")
    page = answer["data"]["issues"]
    items += page["items"]
    pages += 1
    if page["pageInfo"]["hasNextPage"] is not True:
        break
    skip += len(page["items"])
print(f"graph {len(items)} issues in {pages} pages, totalCount {page['totalCount']}")
closed = [i for i in items if i["status"] == "Closed"]
print(f"closed: {[i['title'] for i in closed]}")
