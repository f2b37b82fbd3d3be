"""Bench tests over real HTTP: the site served by Frappe's WSGI application in a thread, logins through
Frappe's own /api/method/login."""

import requests

from prm_app.tests import PRMTestCase
from prm_app.tests.test_portal_isolation import start_server


class HTTPTestCase(PRMTestCase):
	"""Subclasses commit their fixtures (the server has its own connection), then call ``serve()``."""

	password = ""

	@classmethod
	def serve(cls):
		cls.server, cls.url = start_server()

	@classmethod
	def tearDownClass(cls):
		if getattr(cls, "server", None):
			cls.server.shutdown()
		super().tearDownClass()

	def login(self, user: str) -> tuple[requests.Session, dict]:
		"""A logged-in session of ``user`` and Frappe's login answer (``home_page`` …)."""
		http = requests.Session()
		response = http.post(f"{self.url}/api/method/login", data={"usr": user, "pwd": self.password})
		self.assertEqual(response.status_code, 200, response.text[:300])
		return http, response.json()
