package inventory

// CountByProvider is the number of VMs the index holds of each provider: what a listing of
// that provider answers.
func (ix *Index) CountByProvider() map[string]int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := map[string]int{}
	for _, e := range ix.entries {
		n[e.vm.Provider]++
	}
	return n
}
