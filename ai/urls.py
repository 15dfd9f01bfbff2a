from django.urls import path

from ai import views
from ai.serializers import IdeasActionSerializer, ImagePromptsActionSerializer

# The manual actions sit under the planner and writer paths of the API contract; they are listed
# before those apps' routers so that e.g. `keywords/auto_cluster/` is not taken for a keyword id.
planner_actions = [
    path("keywords/auto_cluster/", views.action_view("auto_cluster"), name="keywords-auto-cluster"),
    path(
        "clusters/generate_ideas/",
        views.action_view("generate_ideas", IdeasActionSerializer),
        name="clusters-generate-ideas",
    ),
    path("ideas/queue_to_writer/", views.QueueToWriterView.as_view(), name="ideas-queue-to-writer"),
]
writer_actions = [
    path("tasks/generate_content/", views.action_view("generate_content"), name="tasks-generate-content"),
    path(
        "content/generate_image_prompts/",
        views.action_view("generate_image_prompts", ImagePromptsActionSerializer),
        name="content-generate-image-prompts",
    ),
    path("content/add_links/", views.AddLinksView.as_view(), name="content-add-links"),
    path("images/generate_images/", views.action_view("generate_images"), name="images-generate-images"),
]
urlpatterns = [
    path("logs/", views.AITaskLogListView.as_view(), name="ai-logs"),
    path("tasks/<str:task_id>/", views.AITaskStateView.as_view(), name="ai-task-state"),
]
