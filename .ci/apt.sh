# Sourced by .ci/setup and .ci/services: install Debian packages, updating the package lists
# once per script however many installs it makes.
apt_install() {
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
