# Host platform: Linux development machine and CI.
PLATFORM_SRCS := platform/host/host.c platform/common/linux.c
