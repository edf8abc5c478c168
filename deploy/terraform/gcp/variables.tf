variable "project_id" {
  description = "The Google Cloud project the workers run in."
  type        = string
}

variable "region" {
  description = "The region whose zones the workers are spread over (spot capacity differs by zone)."
  type        = string
  default     = "europe-west1"
}

variable "namespace" {
  description = "Prefix of every resource's name and the value of their farm-namespace label: several swarms (or studios) can share a project."
  type        = string
  default     = "farm"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.namespace))
    error_message = "namespace must be 2-20 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "max_instances" {
  description = "How many workers to run. Spot VMs: while spot capacity is short, Compute Engine may run fewer. 0 stops them all (the module keeps the rest)."
  type        = number
  default     = 4
  validation {
    condition     = var.max_instances >= 0 && var.max_instances <= 1000 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 0 to 1000."
  }
}

variable "cpus" {
  description = "vCPUs per worker (a custom machine type: an even number from 2 up, as the n2d family wants)."
  type        = number
  default     = 8
  validation {
    condition     = var.cpus >= 2 && var.cpus % 2 == 0
    error_message = "cpus must be an even number from 2 up."
  }
}

variable "memory_mb" {
  description = "RAM per worker in MB: a multiple of 256, from 512 MB to 8192 MB per vCPU (Blender wants about 2 GB per frame rendered at once)."
  type        = number
  default     = 16384
  validation {
    condition     = var.memory_mb % 256 == 0
    error_message = "memory_mb must be a multiple of 256."
  }
}

variable "machine_family" {
  description = "The family of the custom machine type: n2d (AMD, cheapest per core as spot), n2 or e2."
  type        = string
  default     = "n2d"
}

variable "image" {
  description = "The farm container image (built from deploy/Containerfile), where the VMs pull it from, e.g. europe-west1-docker.pkg.dev/PROJECT/farm/farm:1 in Artifact Registry."
  type        = string
}

variable "invite" {
  description = "The invite the workers join with (`farm invite` on a member). Kept in Secret Manager; it is also in this module's state, so keep the state private."
  type        = string
  sensitive   = true
}

variable "renderers" {
  description = "The renderers the workers use, as `farm join --renderers` takes them."
  type        = string
  default     = "povray,blender"
}

variable "grace" {
  description = "How long a worker told to stop (a spot preemption gives 30 s) may finish or release its frames: `farm join --grace`."
  type        = string
  default     = "25s"
}

variable "network" {
  description = "The VPC network the workers are on; they need to reach the members of the swarm (or a relay) and accept connections on TCP 4001."
  type        = string
  default     = "default"
}

variable "disk_gb" {
  description = "Boot disk per worker: the image, the scenes of the jobs it renders and their frames until fetched."
  type        = number
  default     = 50
}
