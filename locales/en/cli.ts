export default { cli: { placeholder: 'CLI messages' } };
