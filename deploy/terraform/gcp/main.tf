# N render workers on Compute Engine spot VMs, in a regional managed instance group.
#
# Why VMs and not Cloud Run: a worker is a peer that holds long-lived connections to the swarm,
# serves the frames it rendered to the stitcher and is dialled by other members on TCP 4001.
# Cloud Run has no inbound TCP but HTTP, throttles or stops instances that serve no request,
# and its jobs' tasks cannot be dialled at all. A spot VM is a plain long-running host at a
# fraction of the price; its preemption (a 30 s notice) stops the container with SIGTERM, and
# `farm join --grace 25s` finishes or releases the frames, so a preempted worker loses nothing:
# what it rendered is in the ledger and fetched by the stitcher, what it held is free at once
# (or, if the VM dies outright, once the claims' leases expire). The group then makes a new VM,
# a new node, which joins with the invite from Secret Manager.

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  labels = { farm-namespace = var.namespace }
}

resource "google_secret_manager_secret" "invite" {
  secret_id = "${var.namespace}-invite"
  labels    = local.labels
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "invite" {
  secret      = google_secret_manager_secret.invite.id
  secret_data = var.invite
}

resource "google_service_account" "worker" {
  account_id   = "${var.namespace}-worker"
  display_name = "farm render workers (${var.namespace})"
}

resource "google_secret_manager_secret_iam_member" "worker_reads_invite" {
  secret_id = google_secret_manager_secret.invite.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.worker.email}"
}

# Pull the image from Artifact Registry and ship the JSON log lines to Cloud Logging.
resource "google_project_iam_member" "worker" {
  for_each = toset(["roles/artifactregistry.reader", "roles/logging.logWriter"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_compute_firewall" "p2p" {
  name          = "${var.namespace}-p2p"
  network       = var.network
  direction     = "INGRESS"
  source_ranges = ["0.0.0.0/0"]
  target_tags   = ["${var.namespace}-worker"]
  # Only members holding the swarm key get past the private network's handshake.
  allow {
    protocol = "tcp"
    ports    = ["4001"]
  }
}

resource "google_compute_instance_template" "worker" {
  name_prefix  = "${var.namespace}-worker-"
  machine_type = "${var.machine_family}-custom-${var.cpus}-${var.memory_mb}"
  labels       = local.labels
  tags         = ["${var.namespace}-worker"]

  scheduling {
    provisioning_model          = "SPOT"
    preemptible                 = true
    automatic_restart           = false
    on_host_maintenance         = "TERMINATE"
    instance_termination_action = "DELETE"
  }

  disk {
    source_image = "cos-cloud/cos-stable"
    disk_size_gb = var.disk_gb
    boot         = true
    auto_delete  = true
  }

  network_interface {
    network = var.network
    # An external address, so members outside the VPC can dial the worker directly.
    access_config {}
  }

  service_account {
    email  = google_service_account.worker.email
    scopes = ["cloud-platform"]
  }

  metadata = {
    google-logging-enabled = "true"
    user-data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
      image     = var.image
      secret    = google_secret_manager_secret.invite.secret_id
      project   = var.project_id
      renderers = var.renderers
      grace     = var.grace
      registry  = split("/", var.image)[0]
    })
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_region_instance_group_manager" "workers" {
  name               = "${var.namespace}-workers"
  base_instance_name = "${var.namespace}-worker"
  region             = var.region
  target_size        = var.max_instances

  version {
    instance_template = google_compute_instance_template.worker.self_link_unique
  }

  # A new template (image, size) replaces workers a few at a time: each leaves with its grace.
  update_policy {
    type                  = "PROACTIVE"
    minimal_action        = "REPLACE"
    max_surge_fixed       = 3
    max_unavailable_fixed = 0
  }

  depends_on = [google_secret_manager_secret_version.invite, google_secret_manager_secret_iam_member.worker_reads_invite]
}
