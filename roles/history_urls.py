"""The revision history page of a role (included under /roles/ by orgstructure/urls.py)."""

from django.urls import path

from roles import history_views

app_name = "role_history"

urlpatterns = [
    path("<int:pk>/history/", history_views.role_history, name="history"),
]
