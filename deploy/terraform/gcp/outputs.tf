output "instance_group" {
  description = "The managed instance group of the workers: `gcloud compute instance-groups managed list-instances` lists them."
  value       = google_compute_region_instance_group_manager.workers.instance_group
}

output "invite_secret" {
  description = "The Secret Manager secret holding the invite: add a version to change it for new workers."
  value       = google_secret_manager_secret.invite.id
}

output "service_account" {
  description = "The workers' service account."
  value       = google_service_account.worker.email
}
