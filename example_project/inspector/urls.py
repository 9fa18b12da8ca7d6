from django.urls import path

from . import views

app_name = "inspector"

urlpatterns = [
    path("<str:token>/", views.inbox, name="inbox"),
    path("<str:token>/received.json", views.received_json, name="received-json"),
]
