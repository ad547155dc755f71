"""Settings for orgstructure.

Everything that differs between a laptop and production comes from the environment, read
once here: DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS (and a few optional ones below).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from orgstructure.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    # Without it every request would be a 400: say so at start, not on the first visit.
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (the host names the site is served as).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "orgstructure",
    "teams",
    "roles",
    "reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "orgstructure.middleware.SecurityHeadersMiddleware",
    "orgstructure.middleware.NulCharacterGuardMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "orgstructure.api.middleware.ApiQueryStringGuardMiddleware",
    # Last: turns a sign-in refused because of a lockout into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orgstructure.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Plain-text mail (reviews/notifications.py renders with using="mail"): no HTML escaping,
        # so "R&D <team>" reads as typed instead of "R&amp;D &lt;team&gt;".
        "NAME": "mail",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

WSGI_APPLICATION = "orgstructure.wsgi.application"

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'orgstructure.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Several test runs may share one PostgreSQL server (developers, CI): give each its own
    # test database instead of letting one run drop another's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing with "database is locked" under the dev server.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in (site, admin, API token) while the account or address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous callers have no permissions
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))  # where collectstatic writes
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files (after collectstatic) in production; plain files otherwise.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="orgstructure@localhost")
# The site's public address, for links in notification mail (e.g. https://org.example.com):
# without it those links would be relative, and useless in a mail. `make run` sets it to the
# address it serves on.
SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").strip().rstrip("/")
if not SITE_URL and not DEBUG:
    raise ImproperlyConfigured("SITE_URL must be set when DEBUG is off (e.g. https://org.example.com: links in mail).")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"SITE_URL must be an absolute http(s) address such as https://org.example.com, not {SITE_URL!r}."
    )

# Security: production values unless DEBUG is on; a TLS-terminating proxy sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"  # sent by Django's SecurityMiddleware
# orgstructure.middleware.SecurityHeadersMiddleware: no inline script or style anywhere (every
# script and style sheet is a file under /static/), nothing framed, no plugins. Swagger UI's page
# (drf-spectacular's split view: its scripts are files too) keeps its own inline <style> block.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY_OVERRIDES = {
    "/api/docs/": CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
}

# How many reverse proxies (load balancer, nginx) stand in front of the app and append the address
# they saw to X-Forwarded-For. 0 (the default): the connection's address is the client's and the
# header is ignored, since anyone can send it. See orgstructure/client_address.py.
NUM_PROXIES = env_int("NUM_PROXIES", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON only: forms cannot say what the schema documents (nested lists, an empty text, a
    # cleared choice: DRF reads an empty form value as "not given"). The token endpoint, which
    # people may use from a form, adds the form parser itself.
    "DEFAULT_PARSER_CLASSES": ["orgstructure.api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "orgstructure.api.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orgstructure.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", default="60/minute"),
        "user": env_str("API_THROTTLE_USER", default="6000/minute"),
        # POST /api/v1/auth/token/ per client address: password guessing is slow.
        "token": env_str("API_THROTTLE_TOKEN", default="10/minute"),
    },
    # The client address is the connection's unless trusted proxies are configured (below).
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "orgstructure API",
    "DESCRIPTION": "Teams, roles and their duty lists, and the processes that keep them right.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Nothing but the token endpoint is open to anonymous callers, the schema included.
    "SERVE_PERMISSIONS": ["orgstructure.api.permissions.IsActiveAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "RoleStatusEnum": "roles.models.RoleStatus",
        "TeamKindEnum": "teams.models.TeamKind",
        "SuggestionKindEnum": "reviews.models.SuggestionKind",
    },
}

# Throttle counts, lockouts' helpers and cached analysis must hold across workers and hosts: Redis
# when REDIS_URL is set, otherwise the database's cache table (created by migrate); the demo
# (DEBUG) keeps one process's memory. CACHE_BACKEND (redis, database, locmem) overrides the choice.
REDIS_URL = env_str("REDIS_URL", default="")
CACHE_BACKEND = env_str("CACHE_BACKEND", default="redis" if REDIS_URL else ("locmem" if DEBUG else "database"))
if CACHE_BACKEND == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("CACHE_BACKEND=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379/0).")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif CACHE_BACKEND == "database":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "orgstructure_cache"}}
elif CACHE_BACKEND == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_BACKEND must be redis, database or locmem, not {CACHE_BACKEND!r}.")

# Failed sign-ins (site, admin, API token): django-axes locks the account, and separately the
# client address, after AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_MINUTES. Attempts are rows
# in the database, so every worker and host counts the same ones.
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "orgstructure.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "orgstructure.signin.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# No admin pages (a lockout ends by itself; an operator lifts one early with manage.py
# axes_reset_username NAME or axes_reset_ip ADDRESS), and no log of successful sign-ins.
AXES_ENABLE_ADMIN = False
AXES_DISABLE_ACCESS_LOG = True

# Password-reset mail: at most this many per e-mail address and per client address.
PASSWORD_RESET_LIMIT_PER_EMAIL = env_str("PASSWORD_RESET_LIMIT_PER_EMAIL", default="3/hour")
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_str("PASSWORD_RESET_LIMIT_PER_ADDRESS", default="10/hour")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
}

# Demo accounts (make run) are refused unless this is on; it defaults to DEBUG.
ALLOW_DEMO_DATA = env_bool("ALLOW_DEMO_DATA", default=DEBUG)
