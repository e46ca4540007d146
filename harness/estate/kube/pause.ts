/** The image kubelet's pod sandboxes run on the offline cluster: the `pause` program `drill cluster build` makes. */
export const PAUSE_IMAGE = 'drillbook/pause:3.2';
