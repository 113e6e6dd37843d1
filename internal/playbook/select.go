package playbook

// Select picks the playbook that fires for v among ps: of the enabled ones
// with a definition whose targeting holds, the one with the highest
// priority, the oldest (lowest id) on a tie; nil when none fires. The
// widget calls it on page views with the org's playbooks.
func Select(ps []*Playbook, v Visitor) *Playbook {
	var best *Playbook
	for _, p := range ps {
		if !p.Enabled || p.Definition == nil || p.Definition.Targeting.Match(&v) != nil {
			continue
		}
		if best == nil || p.Definition.Priority > best.Definition.Priority ||
			(p.Definition.Priority == best.Definition.Priority && p.ID < best.ID) {
			best = p
		}
	}
	return best
}
